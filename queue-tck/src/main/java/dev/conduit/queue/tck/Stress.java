package dev.conduit.queue.tck;

/**
 * How hard the conformance suite's concurrent checks push a backend: the number of producer and
 * consumer threads and how many items each producer puts. In-JVM backends take the defaults; a
 * remote backend, where one put is a network round trip, returns a smaller figure from
 * {@link QueueConformanceTest#stress()}.
 *
 * <p>The defaults can be changed without touching code: {@code -Dconduit.tck.producers=},
 * {@code -Dconduit.tck.consumers=} and {@code -Dconduit.tck.items=} (items per producer).
 *
 * @param producers producer threads, at least 1
 * @param consumers consumer threads, at least 1
 * @param itemsPerProducer items each producer puts, at least 1
 */
public record Stress(int producers, int consumers, int itemsPerProducer) {

    /** Items per producer when nothing else is said: enough to make races likely, quick in-JVM. */
    public static final int DEFAULT_ITEMS_PER_PRODUCER = 20_000;

    /**
     * Checks the figures.
     *
     * @throws IllegalArgumentException if any figure is below 1
     */
    public Stress {
        if (producers < 1 || consumers < 1 || itemsPerProducer < 1) {
            throw new IllegalArgumentException("stress figures must be at least 1: " + producers + " producers, "
                    + consumers + " consumers, " + itemsPerProducer + " items per producer");
        }
    }

    /**
     * Four producers and four consumers of {@value #DEFAULT_ITEMS_PER_PRODUCER} items each, unless the
     * {@code conduit.tck.*} system properties say otherwise.
     *
     * @return the figures
     */
    public static Stress fromSystemProperties() {
        return new Stress(Integer.getInteger("conduit.tck.producers", 4), Integer.getInteger("conduit.tck.consumers", 4),
                Integer.getInteger("conduit.tck.items", DEFAULT_ITEMS_PER_PRODUCER));
    }

    /**
     * The same threads with fewer items, for backends where each operation is slow.
     *
     * @param items items per producer
     * @return new figures
     */
    public Stress withItemsPerProducer(int items) {
        return new Stress(producers, consumers, items);
    }

    /** @return every item put in one run */
    public int totalItems() {
        return Math.multiplyExact(producers, itemsPerProducer);
    }
}
