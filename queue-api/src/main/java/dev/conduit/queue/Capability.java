package dev.conduit.queue;

/**
 * What a backend can do beyond the basic contract. The conformance suite skips, rather than fails,
 * a check whose capability a backend lacks.
 */
public enum Capability {
    /** Several processes on one host use the same queue. */
    CROSS_PROCESS,
    /** Processes on different hosts use the same queue. */
    DISTRIBUTED,
    /** Priorities 0–255 are honoured: higher first, FIFO among equals. */
    PRIORITY,
    /** {@code putAll} and transactions are atomic as seen by consumers. */
    TRANSACTIONS,
    /** Every subscriber sees every item; named subscribers keep their place. */
    BROADCAST,
    /** Items survive the end of every process that uses the queue, and a reboot. */
    DURABLE,
    /** Encoded items have a size limit ({@link QueueMetrics#maxItemBytes()}). */
    ITEM_SIZE_LIMIT,
    /** Items are kept as Java objects in this JVM: no encoding happens. */
    IN_JVM
}
