package dev.conduit.queue.spi;

import dev.conduit.queue.QueueMetrics;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind {@link QueueMetrics}, for backends that keep them in this JVM. Low-contention
 * ({@link LongAdder}); thread-safe.
 */
public final class MetricsCounters {
    private final LongAdder puts = new LongAdder();
    private final LongAdder gets = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder waits = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder cleared = new LongAdder();

    /** @param n items accepted */
    public void puts(long n) {
        puts.add(n);
    }

    /** @param n items delivered */
    public void gets(long n) {
        gets.add(n);
    }

    /** Counts one refused put. */
    public void rejected() {
        rejected.increment();
    }

    /** @param n items dropped by policy */
    public void dropped(long n) {
        dropped.add(n);
    }

    /** Counts one wait. */
    public void waited() {
        waits.increment();
    }

    /** @param n encoded bytes accepted */
    public void bytesIn(long n) {
        bytesIn.add(n);
    }

    /** @param n encoded bytes delivered */
    public void bytesOut(long n) {
        bytesOut.add(n);
    }

    /** @param n items removed by clear() */
    public void cleared(long n) {
        cleared.add(n);
    }

    /** @return items accepted so far */
    public long puts() {
        return puts.sum();
    }

    /** @return items delivered so far */
    public long gets() {
        return gets.sum();
    }

    /**
     * A snapshot.
     *
     * @param size items queued now
     * @param capacity the capacity
     * @param maxItemBytes the item size limit, or -1
     * @return the metrics
     */
    public QueueMetrics snapshot(int size, int capacity, long maxItemBytes) {
        return new QueueMetrics(size, capacity, puts.sum(), gets.sum(), rejected.sum(), dropped.sum(), waits.sum(),
                bytesIn.sum(), bytesOut.sum(), maxItemBytes, cleared.sum());
    }
}
