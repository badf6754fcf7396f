package dev.conduit.queue.priority;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * One named priority queue, shared by every handle that opens it.
 *
 * <p><b>Puts take no lock.</b> A put claims room with one CAS on the claim counter
 * ({@code claimed}: items ever admitted) against a limit, {@code removed + capacity}
 * ({@code removed}: items ever taken, dropped or cleared). That CAS is the put's linearization
 * point, and its number is the put's place in the {@link Inbox}, so the inbox holds puts in the
 * order they took effect; the put then writes its item (a batch: its items) into the slots it
 * claimed. Producers cache the limit and re-read {@code removed} only when the cache says full.
 *
 * <p><b>Takes, peeks and clears hold the {@link SpinLock}</b> (uncontended with one consumer). A
 * holder reads {@code claimed} and moves every claimed item into the {@link PriorityLanes},
 * waiting for a put that has claimed but not yet written. That read is the operation's
 * linearization point: the lanes then hold exactly the items of every put that took effect before
 * it, less those removed, so the highest priority is chosen among all of them and a batch is seen
 * whole. The holder then removes, and adds to {@code removed} before it unlocks.
 *
 * <p><b>Reading the state without the lock.</b> Outside the lock {@code claimed - removed} is the
 * exact size; inside it, between the linearization point and the update of {@code removed}, it can
 * count too many (never too few). So:
 * <ul>
 *   <li>a take answers "empty" without the lock only when it reads {@code removed} and then
 *       {@code claimed} equal, which, as both only grow and {@code removed <= claimed}, means empty
 *       at the second read;</li>
 *   <li>{@link #size()}, and a put's verdict "full", read {@code removed} and {@code claimed}
 *       between two reads of the lock's version and keep them only if it was the same even number
 *       (no holder inside meanwhile); otherwise they read again, or take the lock.</li>
 * </ul>
 * The lock word, {@code removed} and {@code moved} share one cache line, so that read is one line.
 *
 * <p><b>Room in the ring.</b> The inbox has {@code min(capacity, 4096)} slots rounded up to a
 * power of two; when it is shorter than the capacity the claim limit is also
 * {@code moved + length} ({@code moved}: claims already moved to the lanes), and a put that finds
 * the ring full while the queue is not takes the lock and moves the ring into the lanes. A batch
 * longer than the ring, and DROP_OLDEST on a full queue, put under the lock: move every claimed
 * item in, claim (still a CAS on {@code claimed}, so it is ordered with every other put), add to
 * the lanes directly, and drop what must be dropped.
 *
 * <p>Three signals: {@link #notEmpty} for takers; {@link #notFull} for puts of one item, each of
 * which a take wakes one of (one freed slot is of use to one of them, and waking them all on every
 * take is a stampede that costs more than the take); {@link #notFullForBatch} for batch puts, every
 * one of which a take wakes, since only each batch knows whether the room now suffices. The change
 * a signal announces is published first with a CAS or volatile write (a claim, or {@code removed}),
 * as {@link Signal} requires. Thread-safe.
 */
final class PriorityQueueState {
    /** The longest inbox; a longer capacity has the rest of its items in the lanes. */
    private static final int MAX_INBOX = 1 << 12;
    /** Cells of {@link #counters}, 16 longs (128 bytes) apart so that each group has its own cache lines. */
    private static final int CLAIMED = 16;
    private static final int PRODUCER_LIMIT = 32;
    private static final int LOCK = 48;
    private static final int REMOVED = 49;
    private static final int MOVED = 50;
    private static final int COUNTER_CELLS = 66;
    /** Optimistic reads of {@link #size()} before it takes the lock. */
    private static final int SIZE_READS = 64;

    final QueueDescriptor descriptor;
    final int capacity;
    final Backpressure backpressure;
    final Signal notEmpty = new Signal();
    final Signal notFull = new Signal();
    final Signal notFullForBatch = new Signal();
    final MetricsCounters slowCounters = new MetricsCounters();
    volatile boolean destroyed;

    /**
     * {@code claimed} (written by puts), the producers' cached claim limit (written and read by
     * puts), and on one line the lock word, {@code removed} and {@code moved} (written by lock
     * holders only).
     */
    private final AtomicLongArray counters = new AtomicLongArray(COUNTER_CELLS);
    private final SpinLock lock = new SpinLock(counters, LOCK);
    private final Inbox inbox;
    private final int inboxLength;
    // Under the lock.
    private final PriorityLanes lanes = new PriorityLanes();
    private long gets;
    private long dropped;
    private long cleared;

    PriorityQueueState(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.capacity = descriptor.capacity();
        this.backpressure = Backpressure.parse(descriptor.option("backpressure", null));
        this.inbox = new Inbox(Integer.highestOneBit(Math.min(capacity, MAX_INBOX) * 2 - 1));
        this.inboxLength = inbox.length();
        counters.set(PRODUCER_LIMIT, Math.min(capacity, inboxLength));
    }

    /** Items in the queue at one moment during the call: exact, never a count inside a take. */
    int size() {
        for (int i = 0; i < SIZE_READS; i++) {
            long v = lock.version();
            if ((v & 1) == 0) {
                long r = counters.get(REMOVED);
                long c = counters.get(CLAIMED);
                if (lock.version() == v) {
                    return (int) (c - r);
                }
            }
            Thread.onSpinWait();
        }
        lock.lock();
        try {
            return (int) (counters.get(CLAIMED) - counters.getPlain(REMOVED));
        } finally {
            lock.unlock();
        }
    }

    /** Whether a put of n items may find room now: a hint for a waiting put, which then tries. */
    boolean hasRoom(int n) {
        long r = counters.get(REMOVED);
        return counters.get(CLAIMED) - r + n <= capacity;
    }

    /** Outcome of a put attempt that does not wait. */
    enum Put { ADDED, FULL }

    /** Adds one item now, dropping per DROP_OLDEST when full. */
    Put tryAdd(Object item, int priority) {
        for (;;) {
            long claim = claim(1);
            if (claim >= 0) {
                inbox.publish(claim, item, priority);
                notEmpty.signalOne();
                return Put.ADDED;
            }
            if (backpressure == Backpressure.DROP_OLDEST) {
                return addUnderLock(item, priority, null, null, 1);
            }
            if (isFull(1)) {
                return Put.FULL;
            }
        }
    }

    /** Adds all items now if they fit (making room per DROP_OLDEST); all become visible at once. */
    Put tryAddAll(List<?> items, int[] priorities) {
        int n = items.size();
        if (n == 0) {
            return Put.ADDED;
        }
        if (n > capacity) {
            return Put.FULL;
        }
        if (n <= inboxLength) {
            for (;;) {
                long claim = claim(n);
                if (claim >= 0) {
                    // Takers wait for every claimed slot before choosing, so none sees part of the batch.
                    for (int i = 0; i < n; i++) {
                        inbox.publish(claim + i, items.get(i), priorities[i]);
                    }
                    notEmpty.signalAll();
                    return Put.ADDED;
                }
                if (backpressure == Backpressure.DROP_OLDEST) {
                    break;
                }
                if (isFull(n)) {
                    return Put.FULL;
                }
            }
        }
        return addUnderLock(null, 0, items, priorities, n);
    }

    /**
     * Claims n slots without waiting: the claim number of the first, or -1 when the cached limit
     * and then the re-read one leave no room (full, or the inbox full: see {@link #isFull}).
     */
    private long claim(int n) {
        for (;;) {
            long c = counters.get(CLAIMED);
            if (c + n > counters.get(PRODUCER_LIMIT)) {
                long limit = limit();
                if (c + n > limit) {
                    return -1;
                }
                // A stale smaller value written over this one by another put only costs a re-read.
                counters.setRelease(PRODUCER_LIMIT, limit);
            }
            if (counters.compareAndSet(CLAIMED, c, c + n)) {
                return c;
            }
        }
    }

    /**
     * The claim limit: never above the capacity, and never onto a slot not yet moved. Reading
     * {@code moved} (a release store after the slots were cleared) is what makes a claimed slot free.
     */
    private long limit() {
        long m = counters.get(MOVED);
        long r = counters.get(REMOVED);
        return Math.min(r + capacity, m + inboxLength);
    }

    /**
     * After a failed claim of n items: true if the queue had no room for them at one moment during
     * this call; false if there is room to claim again (having moved the inbox into the lanes if
     * it was the inbox that was full).
     */
    private boolean isFull(int n) {
        for (int i = 0;; i++) {
            long v = lock.version();
            if ((v & 1) == 0) {
                long r = counters.get(REMOVED);
                long m = counters.get(MOVED);
                long c = counters.get(CLAIMED);
                if (lock.version() == v) {
                    // No holder was inside: removed was r throughout, so the size at the read of
                    // claimed was exactly c - r.
                    if (c + n > r + capacity) {
                        return true;
                    }
                    if (c + n > m + inboxLength) {
                        lock.lock();
                        try {
                            moveAll();
                        } finally {
                            lock.unlock();
                        }
                    }
                    return false;
                }
            }
            if (i < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /**
     * Under the lock: the put that found no room in the inbox path (a batch longer than the inbox,
     * or DROP_OLDEST with the queue or the inbox full). One item when {@code items} is null.
     */
    private Put addUnderLock(Object item, int priority, List<?> items, int[] priorities, int n) {
        boolean added = false;
        int drops = 0;
        lock.lock();
        try {
            for (;;) {
                long c = moveAll();
                long r = counters.getPlain(REMOVED);
                boolean fits = c + n <= r + capacity;
                if (!fits && backpressure != Backpressure.DROP_OLDEST) {
                    // Holding the lock, removed stays r: the size at the read of claimed was c - r.
                    return Put.FULL;
                }
                // The linearization point: every put claimed before it is in the lanes now.
                if (!counters.compareAndSet(CLAIMED, c, c + n)) {
                    continue; // a put claimed in between: move it in first, to keep claim order
                }
                if (items == null) {
                    lanes.add(item, priority);
                    if (!fits) {
                        // The oldest of the lowest priority, which is the new item when it is the lowest.
                        lanes.pollLowest();
                        drops = 1;
                    }
                } else {
                    for (drops = 0; c + n - (r + drops) > capacity; drops++) {
                        lanes.pollLowest();
                    }
                    for (int i = 0; i < n; i++) {
                        lanes.add(items.get(i), priorities[i]);
                    }
                }
                counters.setRelease(MOVED, c + n);
                if (drops > 0) {
                    dropped += drops;
                    counters.set(REMOVED, r + drops);
                }
                added = true;
                break;
            }
        } finally {
            lock.unlock();
        }
        if (added) {
            if (n == 1) {
                notEmpty.signalOne();
            } else {
                notEmpty.signalAll();
            }
        }
        return Put.ADDED;
    }

    /**
     * Under the lock: moves every claimed item into the lanes and returns the claim count read,
     * which is the linearization point of the caller's operation.
     */
    private long moveAll() {
        long c = counters.get(CLAIMED);
        long m = counters.getPlain(MOVED);
        if (m != c) {
            inbox.moveTo(lanes, m, c);
            counters.setRelease(MOVED, c);
        }
        return c;
    }

    /** Under the lock: counts n items removed (a volatile write: waiting puts are signalled after it). */
    private void removed(int n) {
        counters.set(REMOVED, counters.getPlain(REMOVED) + n);
    }

    /** Removes the highest-priority item, or returns null. */
    Object tryTake() {
        // removed first: both only grow and removed <= claimed, so equal means empty at the second read.
        long r = counters.get(REMOVED);
        if (counters.get(CLAIMED) == r) {
            return null;
        }
        Object item;
        lock.lock();
        try {
            moveAll();
            item = lanes.pollHighest();
            if (item != null) {
                gets++;
                removed(1);
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
            moveAll();
            n = lanes.drain(sink, max);
            if (n > 0) {
                gets += n;
                removed(n);
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
            moveAll();
            return lanes.peekHighest();
        } finally {
            lock.unlock();
        }
    }

    int clear() {
        int n;
        lock.lock();
        try {
            moveAll();
            n = lanes.clear();
            if (n > 0) {
                cleared += n;
                removed(n);
            }
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
            // Every admitted item is claimed once, dropped ones included; under the lock nothing is half-removed.
            p = counters.get(CLAIMED);
            size = (int) (p - counters.getPlain(REMOVED));
            g = gets;
            d = dropped;
            c = cleared;
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
