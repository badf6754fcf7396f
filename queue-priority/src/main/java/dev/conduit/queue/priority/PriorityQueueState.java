package dev.conduit.queue.priority;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
import java.util.List;
import java.util.function.Consumer;

/**
 * One named priority queue, shared by every handle that opens it. Every operation on the lanes runs
 * under their lock ({@link PriorityLanes} is its own {@link SpinThenParkLock}), so the queue is
 * linearizable. The size is published by the release of the lock, one volatile store (see
 * {@link SpinThenParkLock}), which is what the {@link Signal} protocol needs from a publisher before
 * it looks for waiters; it is also what {@link #size()} reads without locking.
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

    private final PriorityLanes lanes = new PriorityLanes();

    PriorityQueueState(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.capacity = descriptor.capacity();
        this.backpressure = Backpressure.parse(descriptor.option("backpressure", null));
    }

    int size() {
        return lanes.size();
    }

    /** Outcome of a put attempt that does not wait. */
    enum Put { ADDED, FULL }

    /** Adds one item now, dropping per DROP_OLDEST when full. */
    Put tryAdd(Object item, int priority) {
        boolean dropOldest = backpressure == Backpressure.DROP_OLDEST;
        if (!dropOldest && lanes.size() >= capacity) {
            return Put.FULL;
        }
        PriorityLanes l = lanes;
        l.lock();
        try {
            if (l.sizeLocked() < capacity) {
                l.add(item, priority);
            } else if (dropOldest) {
                if (priority >= l.lowest()) {
                    l.dropLowest();
                    l.add(item, priority);
                } else {
                    // The new item is the lowest and would be the oldest of its lane: it is the one dropped.
                    l.droppedNewItem();
                }
                return Put.ADDED;
            } else {
                return Put.FULL;
            }
        } finally {
            l.unlock();
        }
        notEmpty.signalOne();
        return Put.ADDED;
    }

    /** Adds all items now if they fit (making room per DROP_OLDEST). */
    Put tryAddAll(List<?> items, int[] priorities) {
        int n = items.size();
        PriorityLanes l = lanes;
        l.lock();
        try {
            if (l.sizeLocked() + n > capacity) {
                if (backpressure != Backpressure.DROP_OLDEST) {
                    return Put.FULL;
                }
                while (l.sizeLocked() > 0 && l.sizeLocked() + n > capacity) {
                    l.dropLowest();
                }
            }
            for (int i = 0; i < n; i++) {
                l.add(items.get(i), priorities[i]);
            }
        } finally {
            l.unlock();
        }
        notEmpty.signalAll();
        return Put.ADDED;
    }

    /** Removes the highest-priority item, or returns null. */
    Object tryTake() {
        if (lanes.size() == 0) {
            return null;
        }
        Object item;
        PriorityLanes l = lanes;
        l.lock();
        try {
            item = l.takeHighest();
        } finally {
            l.unlock();
        }
        if (item != null) {
            freed(false);
        }
        return item;
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

    /** Moves up to max items, highest first, in one critical section. */
    int drain(Consumer<Object> sink, int max) {
        int n;
        PriorityLanes l = lanes;
        l.lock();
        try {
            n = l.drain(sink, max);
        } finally {
            l.unlock();
        }
        if (n > 0) {
            freed(n > 1);
        }
        return n;
    }

    Object peek() {
        PriorityLanes l = lanes;
        l.lock();
        try {
            return l.peekHighest();
        } finally {
            l.unlock();
        }
    }

    int clear() {
        int n;
        PriorityLanes l = lanes;
        l.lock();
        try {
            n = l.clear();
        } finally {
            l.unlock();
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
        PriorityLanes l = lanes;
        l.lock();
        try {
            p = l.puts();
            g = l.gets();
            d = l.dropped();
            c = l.cleared();
            size = l.sizeLocked();
        } finally {
            l.unlock();
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
