package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;
import java.util.function.UnaryOperator;
import org.jetbrains.lincheck.datastructures.Operation;

/**
 * The Lincheck checks, {@code clear()} included, on an shm queue created with
 * {@code producers=single} and whatever a subclass adds; shared by the single-producer and the
 * single-consumer tests.
 */
abstract class ShmSingleProducerModeLinearizabilityTest extends QueueLinearizabilityTest {

    /** @param mode adds options to the single-producer descriptor */
    ShmSingleProducerModeLinearizabilityTest(UnaryOperator<QueueDescriptor> mode) {
        super(id -> mode.apply(QueueDescriptor.shm(id).withNamespace("lincheck-sp")
                .withCapacity(SequentialQueue.CAPACITY).withOption("itemSize", "64")
                .withOption("producers", "single")), true);
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
