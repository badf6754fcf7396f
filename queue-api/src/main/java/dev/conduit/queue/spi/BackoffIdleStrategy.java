package dev.conduit.queue.spi;

import java.util.concurrent.locks.LockSupport;

/**
 * Spin, then yield, then park with sleeps that double from 1 µs up to a ceiling: quick to react
 * while traffic flows, close to free while idle.
 *
 * <p>Not thread-safe: one per waiting thread.
 */
public final class BackoffIdleStrategy implements IdleStrategy {
    private static final int SPINS = 200;
    private static final int YIELDS = 50;
    private static final long MIN_PARK_NANOS = 1_000;

    private final long maxParkNanos;

    /** Backoff with a 1 ms ceiling. */
    public BackoffIdleStrategy() {
        this(1_000_000);
    }

    /**
     * Backoff with a chosen ceiling.
     *
     * @param maxParkNanos the longest single sleep
     */
    public BackoffIdleStrategy(long maxParkNanos) {
        this.maxParkNanos = Math.max(MIN_PARK_NANOS, maxParkNanos);
    }

    @Override
    public void idle(int attempt) {
        if (attempt < SPINS) {
            Thread.onSpinWait();
        } else if (attempt < SPINS + YIELDS) {
            Thread.yield();
        } else {
            int shift = Math.min(30, attempt - SPINS - YIELDS);
            LockSupport.parkNanos(Math.min(maxParkNanos, MIN_PARK_NANOS << shift));
        }
    }
}
