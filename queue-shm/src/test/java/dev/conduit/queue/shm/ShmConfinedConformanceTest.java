package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.tck.QueueConformanceTest;

/**
 * The conformance suite against the {@code shm} backend's one-to-one ring with thread-confined
 * handles ({@code threads=confined}, docs/shm.md): every check that uses each side of a handle from
 * one thread at a time runs (a side passes to another thread only after its thread has ended); those
 * that call one side from several live threads, or wait on the async threads, are skipped
 * ({@link #handlesAreSharedBetweenThreads}), and {@code ConfinedThreadsTest} checks that such calls
 * are refused with nothing changed.
 */
class ShmConfinedConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("tck-cf-" + ProcessHandle.current().pid())
                .withCapacity(capacity).withOption("itemSize", "4096").withOption("producers", "single")
                .withOption("consumers", "single").withOption("threads", "confined");
    }

    @Override
    protected boolean handlesAreSharedBetweenThreads() {
        return false;
    }
}
