package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lincheck: every concurrent history of put/get/peek/size/putAll/clear on a {@code local} queue
 * (through the public API, three slots so that "full" is reached) must be explainable by the
 * sequential bounded FIFO in {@link Model}.
 */
public class LocalLinearizabilityTest {
    private static final AtomicLong IDS = new AtomicLong();
    private static MessageQueue<Integer> previous;

    private final MessageQueue<Integer> q;

    public LocalLinearizabilityTest() {
        if (previous != null) {
            previous.destroy();
        }
        q = QueueDescriptor.local("lincheck-" + IDS.incrementAndGet()).withNamespace("lincheck").withCapacity(3).open();
        q.size();
        previous = q;
    }

    @Operation
    public boolean offer(int v) {
        return q.offer(v);
    }

    @Operation
    public Integer poll() {
        return q.poll().orElse(null);
    }

    @Operation
    public Integer peek() {
        return q.peek().orElse(null);
    }

    @Operation
    public int size() {
        return q.size();
    }

    @Operation
    public boolean putAllTwo(int v) throws InterruptedException {
        try {
            q.putAll(List.of(v, v + 100), MessageQueue.DEFAULT_PRIORITY, Duration.ZERO);
            return true;
        } catch (QueueFullException e) {
            return false;
        }
    }

    @Operation
    public int clear() {
        return q.clear();
    }

    @Test
    @Timeout(600)
    void modelChecking() {
        new ModelCheckingOptions().iterations(LincheckBudget.modelIterations())
                .invocationsPerIteration(LincheckBudget.modelInvocations()).sequentialSpecification(Model.class)
                .check(getClass());
    }

    @Test
    @Timeout(600)
    void stress() {
        new StressOptions().iterations(LincheckBudget.stressIterations())
                .invocationsPerIteration(LincheckBudget.stressInvocations()).sequentialSpecification(Model.class)
                .check(getClass());
    }

    /** The sequential specification: a bounded FIFO of three. */
    public static class Model {
        private final ArrayDeque<Integer> items = new ArrayDeque<>();

        public boolean offer(int v) {
            if (items.size() >= 3) {
                return false;
            }
            items.add(v);
            return true;
        }

        public Integer poll() {
            return items.poll();
        }

        public Integer peek() {
            return items.peek();
        }

        public int size() {
            return items.size();
        }

        public boolean putAllTwo(int v) {
            if (items.size() + 2 > 3) {
                return false;
            }
            items.add(v);
            items.add(v + 100);
            return true;
        }

        public int clear() {
            int n = items.size();
            items.clear();
            return n;
        }
    }
}
