package dev.conduit.queue.bench;

import org.jctools.queues.MpmcArrayQueue;

/**
 * JCTools' {@link MpmcArrayQueue}, raw: its own non-blocking {@code offer}/{@code poll}, and a
 * busy spin (with {@link Thread#onSpinWait()}) where a blocking call is needed, since the queue
 * itself never blocks. It is the lock-free ceiling {@code local}
 * is measured against. Thread-safe.
 */
final class SpinningMpmcBenchQueue extends QueueBackedBenchQueue<MpmcArrayQueue<Integer>> {
    /** @param capacity the queue's capacity (JCTools rounds it up to a power of two) */
    SpinningMpmcBenchQueue(int capacity) {
        super(new MpmcArrayQueue<>(capacity));
    }

    @Override
    public boolean put(Integer item) throws InterruptedException {
        long deadline = System.nanoTime() + BLOCKING_TIMEOUT_NANOS;
        while (!queue.offer(item)) {
            if (!spinOnce(deadline)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Integer take() throws InterruptedException {
        long deadline = System.nanoTime() + BLOCKING_TIMEOUT_NANOS;
        Integer item;
        while ((item = queue.poll()) == null) {
            if (!spinOnce(deadline)) {
                return null;
            }
        }
        return item;
    }

    private static boolean spinOnce(long deadline) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        Thread.onSpinWait();
        return System.nanoTime() - deadline < 0;
    }
}
