package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/**
 * The conformance suite against {@code priority} queues with backpressure DROP_OLDEST: the
 * policy's own checks run, and checks that need a put to wait on a full queue are skipped.
 */
class PriorityDropOldestConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.priority(id).withCapacity(capacity).withOption("backpressure", "DROP_OLDEST");
    }
}
