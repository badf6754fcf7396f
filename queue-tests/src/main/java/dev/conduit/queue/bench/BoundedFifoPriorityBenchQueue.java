package dev.conduit.queue.bench;

import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link PriorityBlockingQueue} made to do the job of Conduit's {@code priority} backend: higher
 * priority first, FIFO among equal priorities (a sequence number breaks ties, as the JDK's own
 * documentation suggests), and bounded (a semaphore of free slots, since the JDK queue is
 * unbounded and a producer would otherwise run ahead without limit). Every item is put at
 * {@link dev.conduit.queue.MessageQueue#DEFAULT_PRIORITY}, as the Conduit side does through
 * {@code offer}/{@code put}. Thread-safe.
 */
final class BoundedFifoPriorityBenchQueue implements BenchQueue {
    private static final int PRIORITY = dev.conduit.queue.MessageQueue.DEFAULT_PRIORITY;

    private final PriorityBlockingQueue<Entry> queue;
    private final Semaphore freeSlots;
    private final AtomicLong sequence = new AtomicLong();

    /** @param capacity the most items held at once */
    BoundedFifoPriorityBenchQueue(int capacity) {
        this.queue = new PriorityBlockingQueue<>(capacity);
        this.freeSlots = new Semaphore(capacity);
    }

    /** An item with its priority and arrival number: higher priority first, then earlier arrival. */
    private record Entry(int priority, long sequence, Integer item) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry other) {
            int byPriority = Integer.compare(other.priority, priority);
            return byPriority != 0 ? byPriority : Long.compare(sequence, other.sequence);
        }
    }

    private Entry entry(Integer item) {
        return new Entry(PRIORITY, sequence.getAndIncrement(), item);
    }

    private Integer release(Entry e) {
        if (e == null) {
            return null;
        }
        freeSlots.release();
        return e.item();
    }

    @Override
    public boolean offer(Integer item) {
        if (!freeSlots.tryAcquire()) {
            return false;
        }
        queue.offer(entry(item));
        return true;
    }

    @Override
    public Integer poll() {
        return release(queue.poll());
    }

    @Override
    public boolean put(Integer item) throws InterruptedException {
        if (!freeSlots.tryAcquire(BLOCKING_TIMEOUT_NANOS, TimeUnit.NANOSECONDS)) {
            return false;
        }
        queue.offer(entry(item));
        return true;
    }

    @Override
    public Integer take() throws InterruptedException {
        return release(queue.poll(BLOCKING_TIMEOUT_NANOS, TimeUnit.NANOSECONDS));
    }

    @Override
    public void close() {
        queue.clear();
    }
}
