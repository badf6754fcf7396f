package dev.conduit.queue.reliability;

/**
 * {@link ShmSingleProducerLinearizabilityTest} on a queue created with {@code consumers=single} too
 * (the one-to-one ring with dense slots): the threads of each side take turns on a lock in their
 * process and move their index with ordered stores, the consumer frees a run with one store of its
 * index, {@code peek()} validates its copy against that index, and {@code clear()} takes a snapshot of
 * the producer indices instead of holding them.
 */
public class ShmSingleConsumerLinearizabilityTest extends ShmSingleProducerModeLinearizabilityTest {

    public ShmSingleConsumerLinearizabilityTest() {
        super(d -> d.withOption("consumers", "single"));
    }
}
