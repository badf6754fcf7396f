package dev.conduit.queue.priority;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

/**
 * One named priority queue, shared by every handle that opens it.
 *
 * <p>Producers never take the lock. A put first claims room: {@link #claimed} counts the items
 * ever admitted and {@link #removed} the items ever taken, dropped or cleared, so the room is
 * {@code capacity - (claimed - removed)}; a put claims with a CAS on {@code claimed} against a
 * cached limit ({@code removed + capacity}, re-read only when the cache says full), so at one
 * producer and one consumer neither side writes a line the other reads on every operation. It then
 * appends one entry (an item, an item with its priority, or a whole batch) to a lock-free MPSC
 * inbox, and only then counts its items in {@link #published}: {@link #size()} is
 * {@code published - removed}, so a size above zero means an item a taker will find (a claim alone
 * would let {@code isEmpty()} say false before the item is there). Consumers take the
 * {@link SpinLock} (uncontended with one consumer), move every entry of the inbox into the
 * {@link PriorityLanes} (so every completed put is seen before the highest priority is chosen:
 * priority order and per-producer FIFO hold, and a batch is seen whole or not at all), take, and
 * publish the removal with a read-modify-write of {@code removed}. DROP_OLDEST at full takes the
 * lock, moves the inbox in, and drops from the lanes.
 *
 * <p>Three signals: {@link #notEmpty} for takers; {@link #notFull} for puts of one item, each of
 * which a take wakes one of (one freed slot is of use to one of them, and waking them all on every
 * take is a stampede that costs more than the take); {@link #notFullForBatch} for batch puts, every
 * one of which a take wakes, since only each batch knows whether the room now suffices. The change
 * a signal announces is always published first with a read-modify-write (the add to
 * {@code published} or to {@code removed}), as {@link Signal} requires. Thread-safe.
 */
final class PriorityQueueState {
    /** The priority of {@code put(x)}: such items enter the inbox bare, without an {@link Entry}. */
    private static final int BARE_PRIORITY = 128;
    private static final int INBOX_CHUNK = 1024;

    final QueueDescriptor descriptor;
    final int capacity;
    final Backpressure backpressure;
    final Signal notEmpty = new Signal();
    final Signal notFull = new Signal();
    final Signal notFullForBatch = new Signal();
    final MetricsCounters slowCounters = new MetricsCounters();
    volatile boolean destroyed;

    private final PaddedCounter claimed = new PaddedCounter();
    /** Producers' cache of {@code removed + capacity}: never above the true limit (removed only grows). */
    private final PaddedCounter producerLimit = new PaddedCounter();
    private final PaddedCounter published = new PaddedCounter();
    private final PaddedCounter removed = new PaddedCounter();
    private final MpscUnboundedXaddArrayQueue<Object> inbox = new MpscUnboundedXaddArrayQueue<>(INBOX_CHUNK);
    private final Consumer<Object> toLanes = this::toLanes;

    private final SpinLock lock = new SpinLock();
    private final PriorityLanes lanes = new PriorityLanes();
    // Under the lock.
    private long gets;
    private long dropped;
    private long cleared;

    PriorityQueueState(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.capacity = descriptor.capacity();
        this.backpressure = Backpressure.parse(descriptor.option("backpressure", null));
        this.producerLimit.set(capacity);
    }

    /** Items put (completely) and not yet removed. */
    int size() {
        long r = removed.get();
        long s = published.get() - r;
        return s <= 0 ? 0 : (int) Math.min(s, capacity);
    }

    /** Whether a put of n items could claim room now (puts under way count as taking room). */
    boolean hasRoom(int n) {
        return claimed.get() - removed.get() + n <= capacity;
    }

    /** Outcome of a put attempt that does not wait. */
    enum Put { ADDED, FULL }

    /** One item with a priority other than {@link #BARE_PRIORITY}. */
    private static final class Entry {
        final Object item;
        final int priority;

        Entry(Object item, int priority) {
            this.item = item;
            this.priority = priority;
        }
    }

    /** A putAll or a transaction's commit: one inbox entry, so consumers see all of it or none. */
    private static final class Batch {
        final Object[] items;
        final int[] priorities;

        /** Copies both: the caller may reuse them once the put returns (a transaction clears its list). */
        Batch(List<?> items, int[] priorities) {
            this.items = items.toArray();
            this.priorities = priorities.clone();
        }
    }

    /** Claims room for n items without waiting; false when it is not there. */
    private boolean claim(int n) {
        for (;;) {
            long c = claimed.get();
            long limit = producerLimit.get();
            if (c + n > limit) {
                limit = removed.get() + capacity;
                if (c + n > limit) {
                    return false;
                }
                producerLimit.set(limit);
            }
            if (claimed.compareAndSet(c, c + n)) {
                return true;
            }
        }
    }

    /** Adds one item now, dropping per DROP_OLDEST when full. */
    Put tryAdd(Object item, int priority) {
        if (claim(1)) {
            inbox.offer(priority == BARE_PRIORITY ? item : new Entry(item, priority));
            published.getAndAdd(1);
            notEmpty.signalOne();
            return Put.ADDED;
        }
        if (backpressure != Backpressure.DROP_OLDEST) {
            return Put.FULL;
        }
        return addDroppingOldest(item, priority);
    }

    private Put addDroppingOldest(Object item, int priority) {
        for (;;) {
            boolean added = false;
            lock.lock();
            try {
                moveInbox();
                if (claim(1)) {
                    lanes.add(item, priority);
                    published.getAndAdd(1);
                    added = true;
                } else if (lanes.size() > 0) {
                    dropped++;
                    if (priority >= lanes.lowest()) {
                        lanes.pollLowest();
                        lanes.add(item, priority);
                    }
                    // else the new item is the lowest and oldest-to-be: it is the one dropped.
                    return Put.ADDED;
                }
                // else every admitted item is still on its way to the inbox: let those puts finish.
            } finally {
                lock.unlock();
            }
            if (added) {
                notEmpty.signalOne();
                return Put.ADDED;
            }
            Thread.yield();
        }
    }

    /** Adds all items now if they fit (making room per DROP_OLDEST). */
    Put tryAddAll(List<?> items, int[] priorities) {
        int n = items.size();
        if (n == 0) {
            return Put.ADDED;
        }
        if (claim(n)) {
            inbox.offer(new Batch(items, priorities));
            published.getAndAdd(n);
            notEmpty.signalAll();
            return Put.ADDED;
        }
        if (backpressure != Backpressure.DROP_OLDEST || n > capacity) {
            return Put.FULL;
        }
        for (;;) {
            boolean added = false;
            lock.lock();
            try {
                moveInbox();
                while (!(added = claim(n)) && lanes.size() > 0) {
                    lanes.pollLowest();
                    dropped++;
                    removed.getAndAdd(1);
                }
                if (added) {
                    for (int i = 0; i < n; i++) {
                        lanes.add(items.get(i), priorities[i]);
                    }
                    published.getAndAdd(n);
                }
            } finally {
                lock.unlock();
            }
            if (added) {
                notEmpty.signalAll();
                return Put.ADDED;
            }
            Thread.yield();
        }
    }

    /** Moves every entry of the inbox into the lanes, in inbox order. Under the lock. */
    private void moveInbox() {
        // poll (not relaxedPoll): an entry whose producer has claimed its slot is waited for, so
        // a put that completed behind it in the inbox is never missed.
        Object e;
        while ((e = inbox.poll()) != null) {
            toLanes(e);
        }
    }

    private void toLanes(Object e) {
        if (e instanceof Entry) {
            Entry entry = (Entry) e;
            lanes.add(entry.item, entry.priority);
        } else if (e instanceof Batch) {
            Batch b = (Batch) e;
            for (int i = 0, n = b.items.length; i < n; i++) {
                lanes.add(b.items[i], b.priorities[i]);
            }
        } else {
            lanes.add(e, BARE_PRIORITY);
        }
    }

    /** Removes the highest-priority item, or returns null. */
    Object tryTake() {
        if (lanes.sizeHint() == 0 && inbox.isEmpty()) {
            return null;
        }
        Object item;
        lock.lock();
        try {
            moveInbox();
            item = lanes.pollHighest();
            if (item != null) {
                gets++;
                removed.getAndAdd(1);
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
            moveInbox();
            n = lanes.drain(sink, max);
            if (n > 0) {
                gets += n;
                removed.getAndAdd(n);
            }
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
            moveInbox();
            return lanes.peekHighest();
        } finally {
            lock.unlock();
        }
    }

    int clear() {
        int n;
        lock.lock();
        try {
            moveInbox();
            n = lanes.clear();
            cleared += n;
            removed.getAndAdd(n);
        } finally {
            lock.unlock();
        }
        if (n > 0) {
            freed(true);
        }
        return n;
    }

    QueueMetrics metrics() {
        long g;
        long d;
        long c;
        int size;
        lock.lock();
        try {
            moveInbox();
            g = gets;
            d = dropped;
            c = cleared;
            size = lanes.size();
        } finally {
            lock.unlock();
        }
        // Every put ends in the lanes, taken, dropped or cleared; puts still under way count later.
        long p = g + d + c + size;
        QueueMetrics slow = slowCounters.snapshot(size, capacity, -1);
        return new QueueMetrics(size, capacity, p, g, slow.rejected(), d, slow.waits(), 0, 0, -1, c);
    }

    void wakeAll() {
        notEmpty.signalAll();
        notFull.signalAll();
        notFullForBatch.signalAll();
    }

    /** An AtomicLong alone on its cache line(s), so counters written by different sides do not share one. */
    @SuppressWarnings({"unused", "serial"})
    private static final class PaddedCounter extends AtomicLong {
        private long p01, p02, p03, p04, p05, p06, p07;
        private long q01, q02, q03, q04, q05, q06, q07, q08;
    }
}
