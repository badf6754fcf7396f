package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;
import java.util.function.Function;
import org.jetbrains.lincheck.datastructures.Operation;

/** {@link QueueLinearizabilityTest} with {@code clear()} among the operations. */
public abstract class ClearingQueueLinearizabilityTest extends QueueLinearizabilityTest {

    ClearingQueueLinearizabilityTest(Function<String, QueueDescriptor> descriptorForId, boolean twoHandles) {
        super(descriptorForId, twoHandles);
    }

    @Operation
    public int clear() {
        return reader.clear();
    }
}
