package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/** The conformance suite against the in-JVM {@code priority} backend, backpressure BLOCK. */
class PriorityConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.priority(id).withCapacity(capacity);
    }
}
