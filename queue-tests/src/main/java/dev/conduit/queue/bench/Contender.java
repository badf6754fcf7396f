package dev.conduit.queue.bench;

import dev.conduit.queue.QueueDescriptor;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Every queue the benchmarks measure: the two Conduit backends and the references they are
 * compared with. {@link #label()} is the value of the JMH parameter {@code impl}.
 */
public enum Contender {
    /** Conduit's {@code local} backend, opened through {@link QueueDescriptor#open()}. */
    LOCAL("local", true) {
        @Override
        public BenchQueue create(int capacity) {
            return new ConduitBenchQueue(QueueDescriptor.local(uniqueId()).withCapacity(capacity));
        }
    },
    /**
     * Conduit's {@code local} backend through its {@link dev.conduit.queue.MessageQueue#asBlockingQueue()}
     * view: the same queue as {@link #LOCAL}, taken with a {@code poll()} that returns the item or null
     * instead of an {@code Optional} (which C2 on JDK 17 allocates per call).
     */
    LOCAL_VIEW("local-view", true) {
        @Override
        public BenchQueue create(int capacity) {
            return ConduitViewBenchQueue.open(QueueDescriptor.local(uniqueId()).withCapacity(capacity));
        }
    },
    /** Conduit's {@code priority} backend, opened through {@link QueueDescriptor#open()}. */
    PRIORITY("priority", true) {
        @Override
        public BenchQueue create(int capacity) {
            return new ConduitBenchQueue(QueueDescriptor.priority(uniqueId()).withCapacity(capacity));
        }
    },
    /** {@link ArrayBlockingQueue}, one lock for both ends. */
    ARRAY_BLOCKING_QUEUE("ArrayBlockingQueue", false) {
        @Override
        public BenchQueue create(int capacity) {
            return new JdkBenchQueue(new ArrayBlockingQueue<>(capacity));
        }
    },
    /** {@link LinkedBlockingQueue}, one lock per end, a node per item. */
    LINKED_BLOCKING_QUEUE("LinkedBlockingQueue", false) {
        @Override
        public BenchQueue create(int capacity) {
            return new JdkBenchQueue(new LinkedBlockingQueue<>(capacity));
        }
    },
    /** JCTools' lock-free {@code MpmcArrayQueue}, raw (spins where it must wait). */
    MPMC_ARRAY_QUEUE("MpmcArrayQueue", false) {
        @Override
        public BenchQueue create(int capacity) {
            return new SpinningMpmcBenchQueue(capacity);
        }
    },
    /** {@link java.util.concurrent.PriorityBlockingQueue}, bounded and FIFO among equals. */
    PRIORITY_BLOCKING_QUEUE("PriorityBlockingQueue", false) {
        @Override
        public BenchQueue create(int capacity) {
            return new BoundedFifoPriorityBenchQueue(capacity);
        }
    };

    private final String label;
    private final boolean conduit;

    Contender(String label, boolean conduit) {
        this.label = label;
        this.conduit = conduit;
    }

    /**
     * Creates a new, empty queue of this kind.
     *
     * @param capacity the most items it holds
     * @return the queue; close it when done
     */
    public abstract BenchQueue create(int capacity);

    /** @return the name used as the JMH parameter value and in reports */
    public String label() {
        return label;
    }

    /** @return whether this is a Conduit backend (as opposed to a reference) */
    public boolean isConduit() {
        return conduit;
    }

    /**
     * The contender with a label.
     *
     * @param label a value of {@link #label()}
     * @return the contender
     * @throws IllegalArgumentException if no contender has that label
     */
    public static Contender byLabel(String label) {
        for (Contender c : values()) {
            if (c.label.equals(label)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no benchmark contender named '" + label + "'; known: "
                + Arrays.stream(values()).map(Contender::label).toList());
    }

    private static String uniqueId() {
        return "bench-" + UUID.randomUUID();
    }
}
