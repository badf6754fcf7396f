package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/**
 * The conformance suite against the cross-process {@code shm} backend (a ring in a mapped file
 * under /dev/shm), one lane, back-off waits.
 */
class ShmConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("tck-" + ProcessHandle.current().pid()).withCapacity(capacity)
                .withOption("itemSize", "4096");
    }
}
