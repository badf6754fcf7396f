package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.tck.QueueConformanceTest;

/**
 * The conformance suite against the {@code shm} backend in one-to-one mode ({@code consumers=single}
 * with {@code producers=single}, docs/shm.md): one producing and one consuming process at a time,
 * dense slots, the threads of each side taking turns on a lock in their process. Every check of the
 * suite runs: its several producers and consumers are threads of this one process, and the
 * cross-process check has one producer and one consumer per queue (this JVM puts the requests and
 * takes the replies, the peer the other way round).
 */
class ShmSingleConsumerConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("tck-sc-" + ProcessHandle.current().pid())
                .withCapacity(capacity).withOption("itemSize", "4096").withOption("producers", "single")
                .withOption("consumers", "single");
    }
}
