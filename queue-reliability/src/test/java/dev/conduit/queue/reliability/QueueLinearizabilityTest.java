package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Lincheck operations and checks every backend shares: offer, poll, peek, size and an atomic
 * batch of two on a queue of {@link SequentialQueue#CAPACITY} slots, so that "full" is reached,
 * checked against {@link SequentialQueue}. Lincheck collects the {@link Operation} methods of the
 * superclasses too, so a backend's test only says how its queue is opened and adds the operations
 * that only it has.
 *
 * <p>Each Lincheck invocation builds a fresh test instance: a fresh queue, and the previous
 * instance's queue of the same class destroyed. Puts go through the writer handle and gets
 * through the reader handle; for a cross-process backend they are two handles on one queue.
 */
public abstract class QueueLinearizabilityTest {
    private static final AtomicLong IDS = new AtomicLong();
    /** Per test class: the previous invocation's handles, writer first. */
    private static final Map<Class<?>, List<MessageQueue<Integer>>> PREVIOUS = new ConcurrentHashMap<>();

    /** Puts and peeks go through this handle. */
    final MessageQueue<Integer> writer;
    /** Gets, size and clear go through this handle; the writer itself unless {@code twoHandles}. */
    final MessageQueue<Integer> reader;

    /**
     * Opens the queue of one invocation.
     *
     * @param descriptorForId the descriptor of a queue of capacity {@link SequentialQueue#CAPACITY}
     *     with the given id
     * @param twoHandles whether the reader is a second handle on the same queue
     */
    QueueLinearizabilityTest(Function<String, QueueDescriptor> descriptorForId, boolean twoHandles) {
        List<MessageQueue<Integer>> previous = PREVIOUS.remove(getClass());
        if (previous != null) {
            if (previous.get(1) != previous.get(0)) {
                previous.get(1).close();
            }
            previous.get(0).destroy();
        }
        QueueDescriptor d = descriptorForId.apply("lincheck-" + ProcessHandle.current().pid() + "-"
                + IDS.incrementAndGet());
        writer = d.open();
        writer.size(); // creates the queue now, not inside the first operation
        reader = twoHandles ? d.open() : writer;
        reader.size();
        PREVIOUS.put(getClass(), List.of(writer, reader));
    }

    /** Destroys the queues of each class's last invocation (an shm file would outlive the JVM). */
    @AfterAll
    static void destroyTheLastQueues() {
        PREVIOUS.values().forEach(handles -> {
            if (handles.get(1) != handles.get(0)) {
                handles.get(1).close();
            }
            handles.get(0).destroy();
        });
        PREVIOUS.clear();
    }

    /** @return whether Lincheck's model checker can follow this backend's memory accesses */
    abstract boolean modelCheckable();

    /** @return by how much this backend divides the shared budget (an invocation that maps a file costs more) */
    int budgetDivisor() {
        return 1;
    }

    @Operation
    public boolean offer(int v) {
        return writer.offer(v);
    }

    @Operation
    public Integer poll() {
        return reader.poll().orElse(null);
    }

    @Operation
    public Integer peek() {
        return writer.peek().orElse(null);
    }

    @Operation
    public int size() {
        return reader.size();
    }

    @Operation
    public boolean putAllTwo(int v) throws InterruptedException {
        try {
            writer.putAll(List.of(v, v + 100), MessageQueue.DEFAULT_PRIORITY, Duration.ZERO);
            return true;
        } catch (QueueFullException e) {
            return false;
        }
    }

    @Test
    @Timeout(600)
    void everyModelCheckedHistoryIsLinearizable() {
        Assumptions.assumeTrue(modelCheckable(), "Lincheck 3.4's model checker cannot follow this backend: its "
                + "accesses go through MethodHandles.byteBufferViewVarHandle ('Unsupported VarHandle type: "
                + "VarHandleByteArrayAsLongs$ByteBufferHandle', a limitation of the tool); the stress check runs");
        new ModelCheckingOptions().iterations(LincheckBudget.modelIterations())
                .invocationsPerIteration(LincheckBudget.modelInvocations())
                .sequentialSpecification(SequentialQueue.class).check(getClass());
    }

    @Test
    @Timeout(600)
    void everyStressedHistoryIsLinearizable() {
        new StressOptions().iterations(Math.max(2, LincheckBudget.stressIterations() / budgetDivisor()))
                .invocationsPerIteration(Math.max(50, LincheckBudget.stressInvocations() / budgetDivisor()))
                .sequentialSpecification(SequentialQueue.class).check(getClass());
    }
}
