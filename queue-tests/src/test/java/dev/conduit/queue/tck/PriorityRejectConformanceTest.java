package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/**
 * The conformance suite against {@code priority} queues with backpressure REJECT: a put on a full
 * queue fails at once whatever its timeout.
 */
class PriorityRejectConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.priority(id).withCapacity(capacity).withOption("backpressure", "REJECT");
    }
}
