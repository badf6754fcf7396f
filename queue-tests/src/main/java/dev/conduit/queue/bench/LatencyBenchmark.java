package dev.conduit.queue.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Put→get latency, two ways.
 * <ul>
 *   <li>{@code handOff}: one thread, {@code putThenGet}, puts an item and takes it back; the cost of one hand-off
 *       through an uncontended queue, in nanoseconds (average time).</li>
 *   <li>{@code roundTrip}: thread {@code ping} puts an item on one queue and takes the reply from
 *       a second; thread {@code pong} takes from the first and puts the item on the second. Both
 *       use the blocking calls, so a waiting thread parks as its queue makes it; the {@code ping}
 *       samples are the round trip (two put→get hand-offs across threads), in microseconds
 *       (sampled: mean and percentiles).</li>
 * </ul>
 */
public class LatencyBenchmark {
    private static final int CAPACITY = 1024;

    /** One queue for a single thread. */
    public static class OneQueue extends QueueUnderTest {
        /** The contender's label. */
        @Param({"local", "local-view", "priority", "ArrayBlockingQueue", "LinkedBlockingQueue", "MpmcArrayQueue",
                "PriorityBlockingQueue"})
        public String impl;

        @Override
        protected String impl() {
            return impl;
        }
    }

    /** The two queues of a ping-pong pair, shared by the pair. */
    @State(Scope.Group)
    public static class TwoQueues {
        /** The contender's label. */
        @Param({"local", "local-view", "priority", "ArrayBlockingQueue", "LinkedBlockingQueue", "MpmcArrayQueue",
                "PriorityBlockingQueue"})
        public String impl;

        /** Ping to pong. */
        public BenchQueue there;
        /** Pong to ping. */
        public BenchQueue back;

        /** Creates both queues. */
        @Setup(Level.Trial)
        public void open() {
            Contender contender = Contender.byLabel(impl);
            there = contender.create(CAPACITY);
            back = contender.create(CAPACITY);
        }

        /** Releases both queues. */
        @TearDown(Level.Trial)
        public void close() {
            there.close();
            back.close();
        }
    }

    /**
     * Puts one item and takes it back, on one thread.
     *
     * @param q this thread's queue
     * @return the item, so the JIT cannot drop the work
     * @throws InterruptedException if interrupted
     */
    @Benchmark
    @Group("handOff")
    @GroupThreads(1)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public Integer putThenGet(OneQueue q) throws InterruptedException {
        q.queue.put(QueueUnderTest.ITEM);
        return q.queue.take();
    }

    /**
     * Sends an item to {@code pong} and waits for it to come back.
     *
     * @param q the pair's queues
     * @return the reply, or null if a timeout ended the wait (only at the end of an iteration)
     * @throws InterruptedException if JMH interrupts a stuck thread
     */
    @Benchmark
    @Group("roundTrip")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Integer ping(TwoQueues q) throws InterruptedException {
        if (!q.there.put(QueueUnderTest.ITEM)) {
            return null;
        }
        return q.back.take();
    }

    /**
     * Returns each item {@code ping} sends.
     *
     * @param q the pair's queues
     * @return whether an item was returned
     * @throws InterruptedException if JMH interrupts a stuck thread
     */
    @Benchmark
    @Group("roundTrip")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean pong(TwoQueues q) throws InterruptedException {
        Integer item = q.there.take();
        return item != null && q.back.put(item);
    }
}
