package dev.conduit.queue.spi;

import java.time.Duration;

/**
 * Timeout arithmetic shared by every backend: conversions that saturate instead of overflowing,
 * and deadlines measured on {@link System#nanoTime()}.
 */
public final class Deadline {
    /** Wait forever. */
    public static final long FOREVER = Long.MAX_VALUE;

    private Deadline() {
    }

    /**
     * A duration as a wait in nanoseconds: negative becomes 0, huge becomes {@link #FOREVER}.
     *
     * @param timeout the duration, not null
     * @return nanoseconds to wait
     */
    public static long toNanos(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return FOREVER;
        }
    }

    /**
     * The deadline of a wait starting now.
     *
     * @param timeoutNanos the wait
     * @return the {@link System#nanoTime()} value at which it ends, or {@link #FOREVER}
     */
    public static long deadline(long timeoutNanos) {
        if (timeoutNanos >= FOREVER) {
            return FOREVER;
        }
        long now = System.nanoTime();
        long d = now + timeoutNanos;
        // Saturate: a deadline that wrapped past Long.MAX_VALUE means "forever" in practice.
        return d - now < 0 ? FOREVER : d;
    }

    /**
     * Time left until a deadline.
     *
     * @param deadline from {@link #deadline(long)}
     * @return nanoseconds left, 0 when passed, {@link #FOREVER} for no deadline
     */
    public static long remaining(long deadline) {
        if (deadline == FOREVER) {
            return FOREVER;
        }
        long r = deadline - System.nanoTime();
        return r > 0 ? r : 0;
    }
}
