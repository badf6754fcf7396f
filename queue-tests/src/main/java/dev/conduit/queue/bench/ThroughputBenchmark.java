package dev.conduit.queue.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.Control;

/**
 * Non-blocking throughput: producers call {@code offer} and consumers call {@code poll} in a tight
 * loop, counting the attempts that fail, in the manner of JCTools' {@code QueueThroughput…}
 * benchmarks. Parameter {@code backoff} says what a thread does after a failed attempt:
 * {@code yield} ({@link Thread#yield()}, as JCTools' {@code QueueThroughputYield}: with more
 * threads than cores a spinning thread otherwise burns its whole time slice on a full or empty
 * queue while the thread that would unblock it waits for a core) or {@code none} (spin at once,
 * as {@code QueueThroughputBackoffNone}). The loop is the same for every contender. Group
 * {@code oneToOne} runs 1 producer and 1 consumer, {@code fourToFour} 4 and 4. The figure that
 * counts is the consumers' {@code pollsMade} rate: items through the queue per microsecond.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ThroughputBenchmark {

    /** Every contender, one trial each. */
    public static class Queues extends QueueUnderTest {
        /** The contender's label. */
        @Param({"local", "local-view", "priority", "ArrayBlockingQueue", "LinkedBlockingQueue", "MpmcArrayQueue",
                "PriorityBlockingQueue"})
        public String impl;

        /** What a thread does after a failed attempt: {@code yield} or {@code none}. */
        @Param({"yield", "none"})
        public String backoff;

        private boolean yield;

        @Override
        protected String impl() {
            return impl;
        }

        /** Reads the back-off parameter once, so the loop tests a plain field. */
        @Setup(Level.Trial)
        public void chooseBackoff() {
            if (!backoff.equals("yield") && !backoff.equals("none")) {
                throw new IllegalArgumentException("backoff must be yield or none, not " + backoff);
            }
            yield = backoff.equals("yield");
        }

        /** Called after a failed attempt. */
        void backOff() {
            if (yield) {
                Thread.yield();
            }
        }

        boolean offer(ProducerCounters counters, Control control) {
            boolean accepted = queue.offer(ITEM);
            counters.count(accepted, control);
            if (!accepted) {
                backOff();
            }
            return accepted;
        }

        Integer poll(ConsumerCounters counters, Control control) {
            Integer item = queue.poll();
            counters.count(item, control);
            if (item == null) {
                backOff();
            }
            return item;
        }
    }

    /**
     * One producer.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @return what the attempt returned, so the JIT keeps it
     */
    @Benchmark
    @Group("oneToOne")
    @GroupThreads(1)
    public boolean offer1(Queues q, ProducerCounters counters, Control control) {
        return q.offer(counters, control);
    }

    /**
     * One consumer.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @return what the attempt returned, so the JIT keeps it
     */
    @Benchmark
    @Group("oneToOne")
    @GroupThreads(1)
    public Integer poll1(Queues q, ConsumerCounters counters, Control control) {
        return q.poll(counters, control);
    }

    /**
     * Four producers.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @return what the attempt returned, so the JIT keeps it
     */
    @Benchmark
    @Group("fourToFour")
    @GroupThreads(4)
    public boolean offer4(Queues q, ProducerCounters counters, Control control) {
        return q.offer(counters, control);
    }

    /**
     * Four consumers.
     *
     * @param q the shared queue
     * @param counters this thread's counters
     * @param control JMH's iteration control
     * @return what the attempt returned, so the JIT keeps it
     */
    @Benchmark
    @Group("fourToFour")
    @GroupThreads(4)
    public Integer poll4(Queues q, ConsumerCounters counters, Control control) {
        return q.poll(counters, control);
    }
}
