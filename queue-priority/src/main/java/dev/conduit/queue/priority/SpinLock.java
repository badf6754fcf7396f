package dev.conduit.queue.priority;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A test-and-test-and-set lock for critical sections of a few dozen instructions, whose word also
 * counts for its owner: it is {@code 2 * count + (held ? 1 : 0)}, and a holder may add to the count
 * as it unlocks ({@link #unlock(long)}). The count only grows, and only a holder changes it, so a
 * reader that finds the same even word before and after reading other values has read them at a
 * moment when no holder was changing the count (a sequence lock), and reads the count itself with
 * the same read ({@link #countOf}). {@link PriorityQueueState} counts removed items with it, so that
 * "removed" and "is a removal under way" are one word on one cache line.
 *
 * <p>A waiter spins, then yields a few times, then sleeps in short naps until the lock is free. A
 * short contended hand-off costs no context switch (the cost that makes
 * {@link java.util.concurrent.locks.ReentrantLock}-based queues slow), and the release stays a
 * single store: nobody is unparked, so the releaser never pays for a wake-up. The naps are for when
 * there are more runnable threads than cores: the holder has then lost its core, and waiters that
 * only yielded would keep taking the time slices it needs to finish.
 *
 * <p>The word is one cell of an {@link AtomicLongArray} that the owner chooses, so that it can sit
 * on one cache line with other values its holders write. Not reentrant. Acquire is a CAS (a full
 * fence); release is a release store, or a volatile store when the count changes.
 */
final class SpinLock {
    private static final int SPINS = 100;
    /** Yields after the spins, before the first nap. */
    private static final int YIELDS = 32;
    /** One nap: long next to a critical section, short next to a time slice. */
    private static final long NAP_NANOS = 20_000;

    private final AtomicLongArray cells;
    private final int index;

    /**
     * @param cells where the lock word lives
     * @param index the cell of the lock word, zero (free, count 0) to begin with
     */
    SpinLock(AtomicLongArray cells, int index) {
        this.cells = cells;
        this.index = index;
    }

    /** @return the word: even while free, odd while held (a volatile read) */
    long word() {
        return cells.get(index);
    }

    /** @return the count a word holds, whether or not it was held */
    static long countOf(long word) {
        return word >>> 1;
    }

    void lock() {
        long v = cells.get(index);
        if ((v & 1) == 0 && cells.compareAndSet(index, v, v + 1)) {
            return;
        }
        int spins = 0;
        for (;;) {
            v = cells.get(index);
            if ((v & 1) == 0 && cells.compareAndSet(index, v, v + 1)) {
                return;
            }
            spins++;
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else if (spins < SPINS + YIELDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, NAP_NANOS);
            }
        }
    }

    /** Releases the lock, count unchanged. */
    void unlock() {
        // Only the holder writes the word while it is odd.
        cells.setRelease(index, cells.getPlain(index) - 1);
    }

    /**
     * Releases the lock and adds n to the count, with a volatile store when n is not zero: the
     * change is then visible before any later read of this thread (what {@code Signal} asks).
     */
    void unlock(long n) {
        if (n == 0) {
            unlock();
        } else {
            cells.set(index, cells.getPlain(index) + 2 * n - 1);
        }
    }
}
