package dev.conduit.queue;

/**
 * A snapshot of a queue's counters. Counters cover the queue itself (every handle in every process,
 * where the backend can see them), since it was created, unless a backend documents otherwise.
 *
 * @param size items queued when the snapshot was taken
 * @param capacity the most items the queue holds
 * @param puts items accepted
 * @param gets items delivered
 * @param rejected puts refused because the queue was full (timeouts, REJECT, nowait)
 * @param dropped items dropped by the DROP_OLDEST policy, or lost with a consumer process that died
 *     holding them (shm, whose delivery to a dying consumer is at most once)
 * @param waits times a caller had to wait (blocking put or get that did not succeed at once)
 * @param bytesIn encoded bytes accepted (0 for in-JVM backends, which do not encode)
 * @param bytesOut encoded bytes delivered
 * @param maxItemBytes the encoded size limit of one item, or -1 when there is none
 * @param cleared items removed by {@link MessageQueue#clear()}; whenever no call is under way,
 *     {@code puts - gets - dropped - cleared == size}
 */
public record QueueMetrics(
        int size,
        int capacity,
        long puts,
        long gets,
        long rejected,
        long dropped,
        long waits,
        long bytesIn,
        long bytesOut,
        long maxItemBytes,
        long cleared) {

    /**
     * Metrics of a backend that does not count cleared items separately.
     *
     * @param size items queued
     * @param capacity the capacity
     * @param puts items accepted
     * @param gets items delivered
     * @param rejected puts refused
     * @param dropped items dropped by policy
     * @param waits callers that waited
     * @param bytesIn encoded bytes accepted
     * @param bytesOut encoded bytes delivered
     * @param maxItemBytes the item size limit, or -1
     */
    public QueueMetrics(int size, int capacity, long puts, long gets, long rejected, long dropped, long waits,
            long bytesIn, long bytesOut, long maxItemBytes) {
        this(size, capacity, puts, gets, rejected, dropped, waits, bytesIn, bytesOut, maxItemBytes, 0);
    }

    /**
     * How full the queue is.
     *
     * @return size / capacity, between 0 and 1
     */
    public double utilization() {
        return capacity <= 0 ? 0.0 : Math.min(1.0, (double) size / capacity);
    }

    /**
     * The seed's percentage form of {@link #utilization()}.
     *
     * @return utilization in percent, 0 to 100
     */
    public double utilizationPercent() {
        return utilization() * 100.0;
    }
}
