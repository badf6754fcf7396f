package dev.conduit.queue.priority;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.BackoffIdleStrategy;
import dev.conduit.queue.spi.IdleStrategy;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
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
 * whole. The holder then removes, and adds to {@code removed} as it unlocks: {@code removed} is the
 * count the lock word carries ({@link SpinLock#countOf}), so one word says both how many items
 * left and whether a removal is under way.
 *
 * <p><b>Reading the state without the lock.</b> Outside the lock {@code claimed - removed} is the
 * exact size; inside it, between the linearization point and the update of {@code removed}, it can
 * count too many (never too few). So:
 * <ul>
 *   <li>a take answers "empty" without the lock only when it reads {@code removed} and then
 *       {@code claimed} equal, which, as both only grow and {@code removed <= claimed}, means empty
 *       at the second read;</li>
 *   <li>a put answers "full" when {@code claimed}, read first, and then {@code removed}, read from
 *       an even lock word (no holder inside, so exact), leave no room: at the read of the word
 *       the size was at least that;</li>
 *   <li>{@link #size()} reads the lock word, then {@code claimed}, then the word again, and keeps
 *       the result only if the word was the same even number both times: {@code removed} was
 *       then exact at the read of {@code claimed}. Otherwise it reads again, or takes the lock.</li>
 * </ul>
 * The lock word has a cache line of its own, which a consumer writes twice per take (lock and
 * unlock) and a put reads only when its cached limit says full.
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
 * a signal announces is published first with a CAS or volatile write (a claim, or the unlock that
 * adds to {@code removed}), as {@link Signal} requires. Thread-safe.
 */
final class PriorityQueueState {
    /** The longest inbox; a longer capacity has the rest of its items in the lanes. */
    private static final int MAX_INBOX = 1 << 12;
    /** Cells of {@link #counters}, 16 longs (128 bytes) apart so that each group has its own cache lines. */
    private static final int CLAIMED = 16;
    private static final int PRODUCER_LIMIT = 32;
    private static final int LOCK = 48;
    private static final int MOVED = 64;
    /** Metrics counts, written under the lock, beside moved: kept off the lines puts read. */
    private static final int GETS = 65;
    private static final int DROPPED = 66;
    private static final int CLEARED = 67;
    private static final int COUNTER_CELLS = 84;
    /** The longest nap of a put waiting for the lock word to be even (a holder that lost its core). */
    private static final long EVEN_WORD_MAX_NAP_NANOS = 20_000;
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
     * Each on its own cache lines: {@code claimed} (written by puts), the producers' cached claim
     * limit (written and read by puts), the lock word, which counts {@code removed}, and
     * {@code moved} with the metrics counts (written by lock holders; puts read {@code moved} only
     * when the inbox is shorter than the capacity). No lock holder writes a line that every put
     * reads.
     */
    private final AtomicLongArray counters = new AtomicLongArray(COUNTER_CELLS);
    private final SpinLock lock = new SpinLock(counters, LOCK);
    private final Inbox inbox;
    private final int inboxLength;
    /** Whether the inbox can fill before the queue does, so that a claim must also respect {@code moved}. */
    private final boolean inboxShorter;
    /** Under the lock. */
    private final PriorityLanes lanes = new PriorityLanes();

    PriorityQueueState(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.capacity = descriptor.capacity();
        this.backpressure = Backpressure.parse(descriptor.option("backpressure", null));
        this.inbox = new Inbox(Integer.highestOneBit(Math.min(capacity, MAX_INBOX) * 2 - 1));
        this.inboxLength = inbox.length();
        this.inboxShorter = inboxLength < capacity;
        counters.set(PRODUCER_LIMIT, Math.min(capacity, inboxLength));
    }

    /** Items in the queue at one moment during the call: exact, never a count inside a take. */
    int size() {
        for (int i = 0; i < SIZE_READS; i++) {
            long w = lock.word();
            if ((w & 1) == 0) {
                long c = counters.get(CLAIMED);
                if (lock.word() == w) {
                    return (int) (c - SpinLock.countOf(w));
                }
            }
            Thread.onSpinWait();
        }
        lock.lock();
        try {
            return (int) (counters.get(CLAIMED) - removed());
        } finally {
            lock.unlock();
        }
    }

    /** Whether a put of n items may find room now: a hint for a waiting put, which then tries. */
    boolean hasRoom(int n) {
        long r = removed();
        return counters.get(CLAIMED) - r + n <= capacity;
    }

    /** Outcome of a put attempt that does not wait. */
    enum Put { ADDED, FULL }

    /** Adds one item now (not null, priority 0-255), dropping per DROP_OLDEST when full. */
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
            if (claim == FULL) {
                return Put.FULL;
            }
            makeInboxRoom();
        }
    }

    /**
     * Adds all items now if they fit (making room per DROP_OLDEST); all become visible at once.
     *
     * @param items the items, none null, in an array no other thread writes: between a claim and
     *     the write of its last item nothing may throw, or takers wait for that item for ever
     * @param priorities one per item, each 0-255, likewise
     */
    Put tryAddAll(Object[] items, int[] priorities) {
        int n = items.length;
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
                        inbox.publish(claim + i, items[i], priorities[i]);
                    }
                    notEmpty.signalAll();
                    return Put.ADDED;
                }
                if (backpressure == Backpressure.DROP_OLDEST) {
                    break;
                }
                if (claim == FULL) {
                    return Put.FULL;
                }
                makeInboxRoom();
            }
        }
        return addUnderLock(null, 0, items, priorities, n);
    }

    /** {@link #claim}: the queue has no room for the items. */
    private static final long FULL = -1;
    /** {@link #claim}: the queue has room but the inbox has not; move it into the lanes and claim again. */
    private static final long INBOX_FULL = -2;

    /**
     * Claims n slots without waiting: the claim number of the first, {@link #FULL} when the queue
     * had no room for n items at one moment during the call, or {@link #INBOX_FULL}.
     */
    private long claim(int n) {
        for (;;) {
            long c = counters.get(CLAIMED);
            if (c + n > counters.get(PRODUCER_LIMIT)) {
                long w = evenWord();
                // No removal was under way at the read of w, so the size then was claimed - countOf(w),
                // and claimed was at least c: the verdict "full" holds at that moment.
                long limit = SpinLock.countOf(w) + capacity;
                if (c + n > limit) {
                    return FULL;
                }
                if (inboxShorter) {
                    // moved, stored with release after the moved slots were cleared, makes a claimed slot free.
                    long inboxLimit = counters.get(MOVED) + inboxLength;
                    if (c + n > inboxLimit) {
                        return INBOX_FULL;
                    }
                    limit = Math.min(limit, inboxLimit);
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
     * Reads the lock word until it is even: a moment when no holder was inside, so no removal was
     * taking effect and {@code removed} (its count) was exact. The read is a volatile one of the
     * word a holder stores with release after clearing the slots it moved, which is also what
     * makes a slot a put claims free.
     */
    private long evenWord() {
        long w = lock.word();
        if ((w & 1) == 0) {
            return w;
        }
        // A holder is inside for a few dozen instructions, unless it lost its core.
        IdleStrategy idle = new BackoffIdleStrategy(EVEN_WORD_MAX_NAP_NANOS);
        for (int attempt = 0;; attempt++) {
            idle.idle(attempt);
            w = lock.word();
            if ((w & 1) == 0) {
                return w;
            }
        }
    }

    /** Moves the inbox into the lanes, for a put that found the inbox full and the queue not. */
    private void makeInboxRoom() {
        lock.lock();
        try {
            moveAll();
        } finally {
            lock.unlock();
        }
    }

    /** Items ever removed, counted at unlock: a volatile read of the lock word. */
    private long removed() {
        return SpinLock.countOf(lock.word());
    }

    /**
     * Under the lock: the put that found no room in the inbox path (a batch longer than the inbox,
     * or DROP_OLDEST with the queue or the inbox full). One item when {@code items} is null.
     */
    private Put addUnderLock(Object item, int priority, Object[] items, int[] priorities, int n) {
        int drops = 0;
        lock.lock();
        try {
            for (;;) {
                long c = moveAll();
                long r = removed();
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
                } else {
                    for (int i = 0; i < n; i++) {
                        lanes.add(items[i], priorities[i]);
                    }
                }
                // Added first, then dropped: the oldest of the lowest priority, the new items included,
                // so a new item lower than everything queued is the one dropped, batch or not (the
                // same outcome as its items put one at a time).
                for (drops = 0; c + n - (r + drops) > capacity; drops++) {
                    lanes.pollLowest();
                }
                counters.setRelease(MOVED, c + n);
                countUnderLock(DROPPED, drops);
                break;
            }
        } finally {
            lock.unlock(drops);
        }
        if (n == 1) {
            notEmpty.signalOne();
        } else {
            notEmpty.signalAll();
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

    /** Under the lock: adds n to a metrics count (plain: the lock orders it; metrics() reads it under the lock). */
    private void countUnderLock(int cell, long n) {
        counters.setPlain(cell, counters.getPlain(cell) + n);
    }

    /** Removes the highest-priority item, or returns null. */
    Object tryTake() {
        // removed first: both only grow and removed <= claimed, so equal means empty at the second read.
        long r = removed();
        if (counters.get(CLAIMED) == r) {
            return null;
        }
        Object item = null;
        lock.lock();
        try {
            moveAll();
            item = lanes.pollHighest();
            if (item != null) {
                countUnderLock(GETS, 1);
            }
        } finally {
            lock.unlock(item != null ? 1 : 0);
        }
        if (item != null) {
            freed(false);
        }
        return item;
    }

    /** Moves up to max items, highest first, in one critical section. */
    int drain(Consumer<Object> sink, int max) {
        int n = 0;
        lock.lock();
        try {
            moveAll();
            Object item;
            while (n < max && (item = lanes.pollHighest()) != null) {
                // Counted before the sink sees it: a sink that throws does not unbalance the counts.
                n++;
                countUnderLock(GETS, 1);
                sink.accept(item);
            }
        } finally {
            lock.unlock(n);
        }
        if (n > 0) {
            freed(n > 1);
        }
        return n;
    }

    /** Wakes the puts that room made by a take (one item or many) may let through: {@link Signal#roomFreed}. */
    private void freed(boolean many) {
        Signal.roomFreed(notFull, notFullForBatch, many);
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
        int n = 0;
        lock.lock();
        try {
            moveAll();
            n = lanes.clear();
            countUnderLock(CLEARED, n);
        } finally {
            lock.unlock(n);
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
            size = (int) (p - removed());
            g = counters.getPlain(GETS);
            d = counters.getPlain(DROPPED);
            c = counters.getPlain(CLEARED);
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
