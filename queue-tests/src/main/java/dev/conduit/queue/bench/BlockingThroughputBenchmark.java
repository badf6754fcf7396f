package dev.conduit.queue.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.infra.Control;

/**
 * Blocking throughput: producers {@code put} and consumers {@code take} (Conduit's
 * {@code put}/{@code get}; each blocking queue's own timed {@code offer}/{@code poll}), so a
 * thread that finds the queue full or empty waits as its queue makes it wait, instead of
 * spinning. Raw {@code MpmcArrayQueue} has no blocking form and is not in this one. Group
 * {@code oneToOne} runs 1 producer and 1 consumer, {@code fourToFour} 4 and 4; the figure that
 * counts is the consumers' {@code pollsMade} rate.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BlockingThroughputBenchmark {

    /** The contenders that can block. */
    public static class Queues extends QueueUnderTest {
        /** The contender's label. */
        @Param({"local", "local-view", "priority", "ArrayBlockingQueue", "LinkedBlockingQueue",
                "PriorityBlockingQueue"})
        public String impl;

        @Override
        protected String impl() {
            return impl;
        }
    }

    /**
     * One producer.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @throws InterruptedException if JMH interrupts a stuck thread
     */
    @Benchmark
    @Group("oneToOne")
    @GroupThreads(1)
    public void put1(Queues q, ProducerCounters counters, Control control) throws InterruptedException {
        counters.count(q.queue.put(QueueUnderTest.ITEM), control);
    }

    /**
     * One consumer.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @throws InterruptedException if JMH interrupts a stuck thread
     */
    @Benchmark
    @Group("oneToOne")
    @GroupThreads(1)
    public void take1(Queues q, ConsumerCounters counters, Control control) throws InterruptedException {
        counters.count(q.queue.take(), control);
    }

    /**
     * Four producers.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @throws InterruptedException if JMH interrupts a stuck thread
     */
    @Benchmark
    @Group("fourToFour")
    @GroupThreads(4)
    public void put4(Queues q, ProducerCounters counters, Control control) throws InterruptedException {
        counters.count(q.queue.put(QueueUnderTest.ITEM), control);
    }

    /**
     * Four consumers.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @throws InterruptedException if JMH interrupts a stuck thread
     */
    @Benchmark
    @Group("fourToFour")
    @GroupThreads(4)
    public void take4(Queues q, ConsumerCounters counters, Control control) throws InterruptedException {
        counters.count(q.queue.take(), control);
    }
}
