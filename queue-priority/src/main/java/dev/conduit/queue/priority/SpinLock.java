package dev.conduit.queue.priority;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A test-and-test-and-set lock for critical sections of a few dozen instructions: it spins, then
 * yields a few times, then sleeps in short naps until the lock is free. A short contended hand-off
 * costs no context switch (the cost that makes {@link java.util.concurrent.locks.ReentrantLock}-based
 * queues slow), and the release stays a plain release store: nobody is unparked, so the releaser
 * never pays for a wake-up. The naps are for when there are more runnable threads than cores: the
 * holder has then lost its core, and waiters that only yielded would keep taking the time slices it
 * needs to finish (what held blocking 4 producers / 4 consumers to 0.45x PriorityBlockingQueue).
 * Not reentrant. Acquire is a CAS (a full fence); release is a release store.
 */
final class SpinLock {
    private static final int SPINS = 100;
    /** Yields after the spins, before the first nap. */
    private static final int YIELDS = 32;
    /** One nap: long next to a critical section, short next to a time slice. */
    private static final long NAP_NANOS = 20_000;

    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private final AtomicInteger state = new AtomicInteger();
    @SuppressWarnings("unused")
    private long q01, q02, q03, q04, q05, q06, q07;

    void lock() {
        if (state.compareAndSet(0, 1)) {
            return;
        }
        int spins = 0;
        for (;;) {
            if (state.get() == 0 && state.compareAndSet(0, 1)) {
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
        state.setRelease(0);
    }
}
