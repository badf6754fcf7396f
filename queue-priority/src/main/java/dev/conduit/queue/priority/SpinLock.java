package dev.conduit.queue.priority;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-and-test-and-set lock for critical sections of a few dozen instructions: it spins, then
 * yields, and never parks, so a short contended hand-off costs no context switch (the cost that
 * makes {@link java.util.concurrent.locks.ReentrantLock}-based queues slow). Not reentrant.
 * Acquire is a CAS (a full fence); release is a release store.
 */
final class SpinLock {
    private static final int SPINS = 100;

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
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    void unlock() {
        state.setRelease(0);
    }
}
