package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;

/**
 * Lincheck: every concurrent history of put/get/peek/size/putAll/clear on a {@code local} queue
 * through one handle must be explainable by the bounded FIFO of {@link SequentialQueue}.
 */
public class LocalLinearizabilityTest extends ClearingQueueLinearizabilityTest {

    public LocalLinearizabilityTest() {
        super(id -> QueueDescriptor.local(id).withNamespace("lincheck").withCapacity(SequentialQueue.CAPACITY), false);
    }

    @Override
    boolean modelCheckable() {
        return true;
    }
}
