package dev.conduit.queue.spi;

/**
 * How a waiter that cannot sleep on a lock (one waiting on another process, through shared memory)
 * passes the time between checks. Instances keep per-wait state: create one per wait with
 * {@link Kind#create()}, or {@link #reset()} it.
 *
 * <p>Not thread-safe: one per waiting thread.
 */
public interface IdleStrategy {

    /**
     * Called after a check that found nothing.
     *
     * @param attempt how many checks have failed so far in this wait, from 0
     */
    void idle(int attempt);

    /** Forgets the wait so far. */
    default void reset() {
    }

    /** The strategies Conduit ships, selectable by the descriptor option {@code idle}. */
    enum Kind {
        /** Spin on the core: the lowest latency, one core busy while waiting. */
        BUSY_SPIN,
        /** Spin, then yield, then park with growing sleeps up to 1 ms (the default). */
        BACKOFF;

        /** @return a fresh strategy of this kind */
        public IdleStrategy create() {
            return this == BUSY_SPIN ? attempt -> Thread.onSpinWait() : new BackoffIdleStrategy();
        }

        /**
         * Parses an option value.
         *
         * @param value {@code busy-spin} or {@code backoff}, any case; null for the default
         * @return the kind
         * @throws IllegalArgumentException naming the option when unknown
         */
        public static Kind parse(String value) {
            if (value == null) {
                return BACKOFF;
            }
            switch (value.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-')) {
                case "busy-spin":
                case "spin":
                    return BUSY_SPIN;
                case "backoff":
                    return BACKOFF;
                default:
                    throw new IllegalArgumentException("option 'idle' must be busy-spin or backoff, not '" + value + "'");
            }
        }
    }
}
