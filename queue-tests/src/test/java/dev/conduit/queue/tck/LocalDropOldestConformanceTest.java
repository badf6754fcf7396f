package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/** The conformance suite against {@code local} queues with backpressure DROP_OLDEST. */
class LocalDropOldestConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.local(id).withCapacity(capacity).withOption("backpressure", "DROP_OLDEST");
    }
}
