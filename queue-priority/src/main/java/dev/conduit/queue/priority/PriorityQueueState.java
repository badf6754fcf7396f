package dev.conduit.queue.priority;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One named priority queue, shared by every handle that opens it. Every operation on the lanes
 * runs under a {@link SpinLock}, so the queue is linearizable; the item count is also kept in an
 * atomic, updated inside the lock with a read-modify-write, which is what the {@link Signal}
 * protocol needs and what {@link #size()} reads without locking.
 *
 * <p>Three signals: {@link #notEmpty} for takers; {@link #notFull} for puts of one item, each of
 * which a take wakes one of (one freed slot is of use to one of them, and waking them all on every
 * take is a stampede that costs more than the take); {@link #notFullForBatch} for batch puts, every
 * one of which a take wakes, since only each batch knows whether the room now suffices. Thread-safe.
 */
final class PriorityQueueState {
    final QueueDescriptor descriptor;
    final int capacity;
    final Backpressure backpressure;
    final Signal notEmpty = new Signal();
    final Signal notFull = new Signal();
    final Signal notFullForBatch = new Signal();
    final MetricsCounters slowCounters = new MetricsCounters();
    volatile boolean destroyed;

    private final SpinLock lock = new SpinLock();
    private final PriorityLanes lanes = new PriorityLanes();
    private final AtomicInteger count = new AtomicInteger();
    private long puts;
    private long gets;
    private long dropped;
    private long cleared;

    PriorityQueueState(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.capacity = descriptor.capacity();
        this.backpressure = Backpressure.parse(descriptor.option("backpressure", null));
    }

    int size() {
        return count.get();
    }

    /** Outcome of a put attempt that does not wait. */
    enum Put { ADDED, FULL }

    /** Adds one item now, dropping per DROP_OLDEST when full. */
    Put tryAdd(Object item, int priority) {
        if (backpressure != Backpressure.DROP_OLDEST && count.get() >= capacity) {
            return Put.FULL;
        }
        boolean added = false;
        lock.lock();
        try {
            if (lanes.size() < capacity) {
                lanes.add(item, priority);
                puts++;
                count.incrementAndGet();
                added = true;
            } else if (backpressure == Backpressure.DROP_OLDEST) {
                puts++;
                dropped++;
                if (priority >= lanes.lowest()) {
                    lanes.pollLowest();
                    lanes.add(item, priority);
                }
                // else the new item is the lowest and oldest-to-be: it is the one dropped.
                return Put.ADDED;
            }
        } finally {
            lock.unlock();
        }
        if (added) {
            notEmpty.signalOne();
            return Put.ADDED;
        }
        return Put.FULL;
    }

    /** Adds all items now if they fit (making room per DROP_OLDEST). */
    Put tryAddAll(List<?> items, int[] priorities) {
        int n = items.size();
        lock.lock();
        try {
            if (lanes.size() + n > capacity) {
                if (backpressure != Backpressure.DROP_OLDEST) {
                    return Put.FULL;
                }
                while (lanes.size() + n > capacity) {
                    lanes.pollLowest();
                    dropped++;
                    count.decrementAndGet();
                }
            }
            for (int i = 0; i < n; i++) {
                lanes.add(items.get(i), priorities[i]);
            }
            puts += n;
            count.addAndGet(n);
        } finally {
            lock.unlock();
        }
        notEmpty.signalAll();
        return Put.ADDED;
    }

    /** Removes the highest-priority item, or returns null. */
    Object tryTake() {
        if (count.get() == 0) {
            return null;
        }
        Object item;
        lock.lock();
        try {
            item = lanes.pollHighest();
            if (item != null) {
                gets++;
                count.decrementAndGet();
            }
        } finally {
            lock.unlock();
        }
        if (item != null) {
            freed(false);
        }
        return item;
    }

    /** Moves up to max items, highest first, in one critical section. */
    int drain(Consumer<Object> sink, int max) {
        int n;
        lock.lock();
        try {
            n = lanes.drain(sink, max);
            gets += n;
            count.addAndGet(-n);
        } finally {
            lock.unlock();
        }
        if (n > 0) {
            freed(n > 1);
        }
        return n;
    }

    /** Wakes the puts that room made by a take (one item or many) may let through. */
    private void freed(boolean many) {
        if (many) {
            notFull.signalAll();
        } else {
            notFull.signalOne();
        }
        notFullForBatch.signalAll();
    }

    Object peek() {
        lock.lock();
        try {
            return lanes.peekHighest();
        } finally {
            lock.unlock();
        }
    }

    int clear() {
        int n;
        lock.lock();
        try {
            n = lanes.clear();
            cleared += n;
            count.addAndGet(-n);
        } finally {
            lock.unlock();
        }
        if (n > 0) {
            freed(true);
        }
        return n;
    }

    QueueMetrics metrics() {
        long p;
        long g;
        long d;
        long c;
        int size;
        lock.lock();
        try {
            p = puts;
            g = gets;
            d = dropped;
            c = cleared;
            size = lanes.size();
        } finally {
            lock.unlock();
        }
        QueueMetrics slow = slowCounters.snapshot(size, capacity, -1);
        return new QueueMetrics(size, capacity, p, g, slow.rejected(), d, slow.waits(), 0, 0, -1, c);
    }

    void wakeAll() {
        notEmpty.signalAll();
        notFull.signalAll();
        notFullForBatch.signalAll();
    }
}
