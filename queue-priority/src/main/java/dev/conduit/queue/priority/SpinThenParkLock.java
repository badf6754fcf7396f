package dev.conduit.queue.priority;

import java.util.concurrent.locks.AbstractQueuedLongSynchronizer;

/**
 * A non-reentrant mutual-exclusion lock for critical sections of a few dozen instructions, whose
 * lock word also carries a count the holder publishes when it releases (the number of items
 * queued): a thread that finds the lock held spins briefly (the holder is usually about to release
 * it), yields a few times, then parks in the {@link AbstractQueuedLongSynchronizer} queue until a
 * release unparks it.
 * Spinning first means a short contended hand-off costs no context switch; parking after means that
 * when there are more runnable threads than cores, waiters do not burn the time slices the holder
 * needs to finish.
 *
 * <p>The lock word is {@code count << 1 | held}. Acquire is a CAS (a full fence); release is one
 * volatile store that both frees the lock and publishes the new count, then a read of the wait
 * queue's head. So a reader sees the count without locking, and the count's publication is a
 * sequentially consistent store at no cost beyond the release itself, which is what
 * {@link dev.conduit.queue.spi.Signal}'s publishers need. Subclasses keep the fields the lock
 * guards in the same object, so that taking the lock brings them into the cache with it.
 * Thread-safe.
 */
abstract class SpinThenParkLock extends AbstractQueuedLongSynchronizer {
    private static final long serialVersionUID = 1L;

    /** Failed looks at the lock word before parking: about a microsecond. */
    private static final int SPINS = 64;
    /**
     * Then yields before parking: with more runnable threads than cores the holder has most likely
     * lost its core, and a yield may hand it back sooner than a park-and-unpark round trip, which
     * also costs the releaser a wake-up call on every release (measured: blocking 4P/4C about 2x
     * faster than parking straight after the spin).
     */
    private static final int YIELDS = 4;
    private static final long HELD = 1L;

    @Override
    protected final boolean tryAcquire(long ignored) {
        long s = getState();
        return (s & HELD) == 0 && compareAndSetState(s, s | HELD);
    }

    /** @param count the count to publish */
    @Override
    protected final boolean tryRelease(long count) {
        setState(count << 1);
        return true;
    }

    /** Acquires the lock, spinning briefly, then yielding, then parking; not interruptible. */
    final void lock() {
        if (tryAcquire(0)) {
            return;
        }
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (tryAcquire(0)) {
                return;
            }
        }
        for (int i = 0; i < YIELDS; i++) {
            Thread.yield();
            if (tryAcquire(0)) {
                return;
            }
        }
        acquire(0);
    }

    /**
     * Releases the lock, publishing the count, and unparks the longest-parked waiter if there is one.
     *
     * @param count the count readers of {@link #publishedCount()} see from now on, 0 or more
     */
    final void unlock(long count) {
        release(count);
    }

    /** @return the count the last release published (volatile read; the lock is not taken) */
    final long publishedCount() {
        return getState() >>> 1;
    }
}
