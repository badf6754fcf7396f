package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import org.jetbrains.lincheck.datastructures.Operation;

/**
 * Lincheck: concurrent histories of a {@code priority} queue, with puts at three priorities (low,
 * the default, high) so that order across and within priorities is checked, must be explainable
 * by {@link SequentialQueue}.
 */
public class PriorityLinearizabilityTest extends ClearingQueueLinearizabilityTest {
    /** The priority of {@link #putLow}. */
    static final int LOW = 10;
    /** The priority of {@link #putHigh}. */
    static final int HIGH = 200;

    public PriorityLinearizabilityTest() {
        super(id -> QueueDescriptor.priority(id).withNamespace("lincheck").withCapacity(SequentialQueue.CAPACITY),
                false);
    }

    @Override
    boolean modelCheckable() {
        return true;
    }

    private boolean putNow(int v, int priority) throws InterruptedException {
        try {
            writer.put(v, priority, Duration.ZERO);
            return true;
        } catch (QueueFullException e) {
            return false;
        }
    }

    @Operation
    public boolean putLow(int v) throws InterruptedException {
        return putNow(v, LOW);
    }

    @Operation
    public boolean putHigh(int v) throws InterruptedException {
        return putNow(v, HIGH);
    }
}
