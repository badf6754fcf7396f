package dev.conduit.queue.reliability;

import java.util.function.UnaryOperator;

/**
 * {@link ShmClearLinearizabilityTest} on a queue created with {@code producers=single}: the
 * producing process's threads claim with the index CAS but publish with ordered stores and count
 * their bytes in claim order, and {@code clear()} must still remove exactly the items present at
 * one instant.
 */
public class ShmSingleProducerLinearizabilityTest extends ShmSingleProducerModeLinearizabilityTest {

    public ShmSingleProducerLinearizabilityTest() {
        super(UnaryOperator.identity());
    }
}
