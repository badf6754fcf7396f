package dev.conduit.queue.priority;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A test-and-test-and-set lock for critical sections of a few dozen instructions, whose word is
 * also a version: even while free, odd while held, and one higher at every acquire and every
 * release. A reader that finds the same even version before and after reading some values that
 * only holders write has read them all at one moment no holder was inside (a sequence lock).
 *
 * <p>A waiter spins, then yields a few times, then sleeps in short naps until the lock is free. A
 * short contended hand-off costs no context switch (the cost that makes
 * {@link java.util.concurrent.locks.ReentrantLock}-based queues slow), and the release stays a
 * plain release store: nobody is unparked, so the releaser never pays for a wake-up. The naps are
 * for when there are more runnable threads than cores: the holder has then lost its core, and
 * waiters that only yielded would keep taking the time slices it needs to finish.
 *
 * <p>The word is one cell of an {@link AtomicLongArray} that the owner chooses, so that it can sit
 * on one cache line with the values it guards and a reader validates them with one line's read.
 * Not reentrant. Acquire is a CAS (a full fence); release is a release store.
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
     * @param index the cell of the lock word, zero (free, version 0) to begin with
     */
    SpinLock(AtomicLongArray cells, int index) {
        this.cells = cells;
        this.index = index;
    }

    /** @return the version: even while free, odd while held (a volatile read) */
    long version() {
        return cells.get(index);
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

    void unlock() {
        // Only the holder writes the word while it is odd.
        cells.setRelease(index, cells.getPlain(index) + 1);
    }
}
