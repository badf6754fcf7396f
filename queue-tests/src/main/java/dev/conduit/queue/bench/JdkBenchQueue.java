package dev.conduit.queue.bench;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code java.util.concurrent} blocking queue, used through its own non-blocking
 * {@code offer}/{@code poll} and its own timed {@code offer}/{@code poll} (the timed forms of
 * {@code put}/{@code take}). Thread-safe.
 */
class JdkBenchQueue extends QueueBackedBenchQueue<BlockingQueue<Integer>> {
    /** @param queue the queue to measure */
    JdkBenchQueue(BlockingQueue<Integer> queue) {
        super(queue);
    }

    @Override
    public boolean put(Integer item) throws InterruptedException {
        return queue.offer(item, BLOCKING_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
    }

    @Override
    public Integer take() throws InterruptedException {
        return queue.poll(BLOCKING_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
    }
}
