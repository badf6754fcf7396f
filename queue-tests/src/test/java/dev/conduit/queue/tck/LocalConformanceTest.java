package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/** The conformance suite against the in-JVM {@code local} backend, backpressure BLOCK. */
class LocalConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.local(id).withCapacity(capacity);
    }
}
