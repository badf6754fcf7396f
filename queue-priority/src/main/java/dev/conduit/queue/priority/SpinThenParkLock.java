package dev.conduit.queue.priority;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * A non-reentrant mutual-exclusion lock for critical sections of a few dozen instructions: a thread
 * that finds it held spins briefly (the holder is usually about to release it), then parks in the
 * {@link AbstractQueuedSynchronizer} queue until a release unparks it. Spinning first means a short
 * contended hand-off costs no context switch; parking after means that when there are more runnable
 * threads than cores, waiters do not burn the time slices the holder needs to finish.
 *
 * <p>Subclasses put the fields the lock guards in the same object, so that taking the lock brings
 * them into the cache with it. Acquire is a CAS (a full fence); release is a volatile store
 * followed by a read of the wait queue's head. Thread-safe.
 */
abstract class SpinThenParkLock extends AbstractQueuedSynchronizer {
    private static final long serialVersionUID = 1L;

    /** Failed looks at the state before parking: about a microsecond. */
    private static final int SPINS = 64;

    @Override
    protected final boolean tryAcquire(int ignored) {
        return getState() == 0 && compareAndSetState(0, 1);
    }

    @Override
    protected final boolean tryRelease(int ignored) {
        setState(0);
        return true;
    }

    /** Acquires the lock, spinning briefly, then parking; not interruptible. */
    final void lock() {
        if (compareAndSetState(0, 1)) {
            return;
        }
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (tryAcquire(1)) {
                return;
            }
        }
        acquire(1);
    }

    /** Releases the lock, unparking the longest-parked waiter if there is one. */
    final void unlock() {
        release(1);
    }
}
