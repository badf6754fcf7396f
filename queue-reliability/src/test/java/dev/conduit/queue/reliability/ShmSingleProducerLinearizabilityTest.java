package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;
import org.jetbrains.lincheck.datastructures.Operation;

/**
 * {@link ShmClearLinearizabilityTest} on a queue created with {@code producers=single}: the
 * producing process's threads claim with the index CAS but publish with ordered stores and count
 * their bytes in claim order, and {@code clear()} must still remove exactly the items present at
 * one instant.
 */
public class ShmSingleProducerLinearizabilityTest extends QueueLinearizabilityTest {

    public ShmSingleProducerLinearizabilityTest() {
        super(id -> QueueDescriptor.shm(id).withNamespace("lincheck-sp").withCapacity(SequentialQueue.CAPACITY)
                .withOption("itemSize", "64").withOption("producers", "single"), true);
    }

    @Override
    boolean modelCheckable() {
        return false;
    }

    /** Every invocation creates and maps a fresh shared-memory file, as for the default mode. */
    @Override
    int budgetDivisor() {
        return 2;
    }

    @Operation
    public int clear() {
        return reader.clear();
    }
}
