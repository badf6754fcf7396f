package dev.conduit.queue;

import java.util.Locale;

/**
 * What a put does when the queue is full. Chosen per queue with the descriptor option
 * {@code backpressure} (for example {@code withOption("backpressure", "DROP_OLDEST")}).
 */
public enum Backpressure {
    /** Wait for room, up to the call's timeout (the default). */
    BLOCK,
    /** Throw {@link QueueFullException} at once, whatever the call's timeout. */
    REJECT,
    /**
     * Make room by dropping the oldest item of the lowest priority present; if the new item's
     * priority is lower than every queued item's, the new item is the one dropped. Drops are
     * counted in {@link QueueMetrics#dropped()}.
     */
    DROP_OLDEST;

    /**
     * Parses an option value, case-insensitively; {@code "drop"} is accepted for DROP_OLDEST, as in
     * pydotcompute.
     *
     * @param value the option value, or null for the default
     * @return the policy
     * @throws IllegalArgumentException naming the option when the value is unknown
     */
    public static Backpressure parse(String value) {
        if (value == null || value.isBlank()) {
            return BLOCK;
        }
        String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (v.equals("DROP")) {
            return DROP_OLDEST;
        }
        try {
            return valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("option 'backpressure' must be BLOCK, REJECT or DROP_OLDEST, not '"
                    + value + "'");
        }
    }
}
