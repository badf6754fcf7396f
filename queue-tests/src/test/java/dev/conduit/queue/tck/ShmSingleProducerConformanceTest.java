package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/**
 * The conformance suite against the {@code shm} backend in single-producer mode
 * ({@code producers=single}, docs/shm.md): one producing process at a time, its threads claiming
 * slots with the index CAS and publishing with ordered stores. Every check of the suite runs: its
 * several producers are threads of this one process, which the mode serializes on the claim, and
 * the cross-process check has one producer per queue (this JVM puts the requests, the peer the
 * replies).
 */
class ShmSingleProducerConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("tck-sp-" + ProcessHandle.current().pid())
                .withCapacity(capacity).withOption("itemSize", "4096").withOption("producers", "single");
    }
}
