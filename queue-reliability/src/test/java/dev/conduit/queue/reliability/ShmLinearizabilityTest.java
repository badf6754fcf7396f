package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;

/**
 * Lincheck: every concurrent history of put/get/peek/size/putAll on an {@code shm} queue, through
 * two handles on the same shared-memory file (as two processes would have), must be explainable
 * by the bounded FIFO of {@link SequentialQueue}. {@code clear()} is in
 * {@link ShmClearLinearizabilityTest}.
 */
public class ShmLinearizabilityTest extends QueueLinearizabilityTest {

    public ShmLinearizabilityTest() {
        super(id -> QueueDescriptor.shm(id).withNamespace("lincheck").withCapacity(SequentialQueue.CAPACITY)
                .withOption("itemSize", "64"), true);
    }

    @Override
    boolean modelCheckable() {
        return false;
    }

    /** Every invocation creates and maps a fresh shared-memory file: a quarter of the in-JVM budget. */
    @Override
    int budgetDivisor() {
        return 4;
    }
}
