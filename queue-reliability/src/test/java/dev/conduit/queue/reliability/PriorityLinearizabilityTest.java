package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lincheck: concurrent histories of a {@code priority} queue of three (two priorities, so order
 * across and within priorities is checked) must be explainable by the sequential {@link Model}.
 */
public class PriorityLinearizabilityTest {
    private static final AtomicLong IDS = new AtomicLong();
    private static MessageQueue<Integer> previous;

    private final MessageQueue<Integer> q;

    public PriorityLinearizabilityTest() {
        if (previous != null) {
            previous.destroy();
        }
        q = QueueDescriptor.priority("lincheck-" + IDS.incrementAndGet()).withNamespace("lincheck").withCapacity(3)
                .open();
        q.size();
        previous = q;
    }

    private boolean putNow(int v, int priority) throws InterruptedException {
        try {
            q.put(v, priority, Duration.ZERO);
            return true;
        } catch (QueueFullException e) {
            return false;
        }
    }

    @Operation
    public boolean putLow(int v) throws InterruptedException {
        return putNow(v, 10);
    }

    @Operation
    public boolean putHigh(int v) throws InterruptedException {
        return putNow(v, 200);
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
            q.putAll(List.of(v, v + 100), 10, Duration.ZERO);
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
                .invocationsPerIteration(LincheckBudget.modelInvocations())
                .sequentialSpecification(Model.class).check(getClass());
    }

    @Test
    @Timeout(600)
    void stress() {
        new StressOptions().iterations(LincheckBudget.stressIterations())
                .invocationsPerIteration(LincheckBudget.stressInvocations())
                .sequentialSpecification(Model.class).check(getClass());
    }

    /** The sequential specification: higher priority first, FIFO within a priority, three slots. */
    public static class Model {
        private final TreeMap<Integer, ArrayDeque<Integer>> lanes = new TreeMap<>();
        private int size;

        private boolean put(int v, int priority) {
            if (size >= 3) {
                return false;
            }
            lanes.computeIfAbsent(priority, k -> new ArrayDeque<>()).add(v);
            size++;
            return true;
        }

        public boolean putLow(int v) {
            return put(v, 10);
        }

        public boolean putHigh(int v) {
            return put(v, 200);
        }

        public Integer poll() {
            Map.Entry<Integer, ArrayDeque<Integer>> e = lanes.lastEntry();
            if (e == null) {
                return null;
            }
            Integer v = e.getValue().poll();
            if (e.getValue().isEmpty()) {
                lanes.remove(e.getKey());
            }
            size--;
            return v;
        }

        public Integer peek() {
            Map.Entry<Integer, ArrayDeque<Integer>> e = lanes.lastEntry();
            return e == null ? null : e.getValue().peek();
        }

        public int size() {
            return size;
        }

        public boolean putAllTwo(int v) {
            if (size + 2 > 3) {
                return false;
            }
            put(v, 10);
            put(v + 100, 10);
            return true;
        }

        public int clear() {
            int n = size;
            lanes.clear();
            size = 0;
            return n;
        }
    }
}
