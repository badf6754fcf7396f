package dev.conduit.queue.rpc;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.QueueStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One queue a {@link QueueServer} hosts: the server-side store (a {@code local}, {@code priority}
 * or {@code journal} queue of raw bytes, or a {@link BroadcastStore}), the calls waiting on it, and
 * the byte counters in-JVM stores do not keep.
 *
 * <p>Thread-safe.
 */
final class HostedQueue {
    /** The descriptor the client sent, server-side type; names the queue in listings. */
    final QueueDescriptor descriptor;
    final String serverType;
    final boolean durable;
    final boolean broadcast;
    final long maxItemBytes;
    final Set<Capability> capabilities;
    private final QueueStore<byte[]> store;
    private final Reader main;
    private final ConcurrentMap<String, Reader> subscribers = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder serverWaits = new LongAdder();
    /**
     * The largest item this queue may hold: the largest put so far, or the limit for a journal that
     * may hold items from before this server started. Gets size their replies by it.
     */
    private final AtomicLong largestItem;

    HostedQueue(QueueDescriptor descriptor, String serverType, boolean durable, QueueStore<byte[]> store,
            long maxItemBytes, ScheduledExecutorService timer) {
        this.descriptor = descriptor;
        this.serverType = serverType;
        this.durable = durable;
        this.broadcast = store.capabilities().contains(Capability.BROADCAST);
        this.store = store;
        this.maxItemBytes = maxItemBytes;
        this.timer = timer;
        this.largestItem = new AtomicLong(durable ? maxItemBytes : 0);
        this.main = new Reader(store, new WaitingRoom(timer));
        EnumSet<Capability> caps = EnumSet.of(Capability.CROSS_PROCESS, Capability.DISTRIBUTED,
                Capability.ITEM_SIZE_LIMIT);
        caps.addAll(store.capabilities());
        caps.remove(Capability.IN_JVM);
        this.capabilities = Collections.unmodifiableSet(caps);
    }

    /**
     * The store a read goes to, the items clients gave back ahead of it ({@link #giveBack}), and the
     * calls waiting on it. Reads go through here, not to the store, so given-back items come first.
     *
     * <p>Every item taken gets a take position ({@link TakePositions}): items from the store get the
     * next ones, claimed with one atomic add right after the store handed them over, and given-back
     * items keep theirs. Given-back items are kept in position order, so items that come back in any
     * order go back in the order they were taken (FIFO per producer across late answers). Takes that
     * do not overlap in time get positions in their order; two takes that run at the same moment
     * (two gets served on two threads at once, whose items may interleave anyway) may get them in
     * either order. A take from the store holds no lock, as before the numbering: holding the
     * given-back items' lock across it put a lock on every take, where a consumer's gets and the puts
     * that serve waiting gets meet (the rpc benchmark's batches with getBatch(1000), 2026-11-28,
     * medians of 7 and 6 noisy runs: 1.94 M items/s with that lock, 2.27 without).
     */
    static final class Reader {
        final QueueStore<byte[]> store;
        final WaitingRoom room;
        /**
         * Items given back, head first, in position order (those without a position, 0, first);
         * guarded by itself.
         */
        private final ArrayDeque<Returned> returned = new ArrayDeque<>();
        /**
         * The position the next item taken from the store gets. It starts from the clock (2^20 per
         * millisecond), so that positions of items taken before a server restart (a durable queue)
         * stay smaller than those taken after it.
         */
        private final java.util.concurrent.atomic.AtomicLong nextPosition =
                new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis() << 20);
        /** How many items and bytes {@link #returned} holds, so reads skip its lock when it is empty. */
        private volatile int returnedCount;
        private volatile long returnedBytes;
        /**
         * Given-back items (and their bytes) removed by {@link #clear()}: the store counted them as
         * gotten when they were taken, they count as cleared instead.
         */
        private final LongAdder returnedCleared = new LongAdder();
        private final LongAdder returnedClearedBytes = new LongAdder();

        /** A given-back item and its take position (0: none). */
        private record Returned(byte[] item, long position) {
        }

        Reader(QueueStore<byte[]> store, WaitingRoom room) {
            this.store = store;
            this.room = room;
        }

        /**
         * Takes up to {@code max} items without waiting: given-back items first, then the store's.
         *
         * @param sink receives the items
         * @param max the most to take
         * @param positions receives the items' take positions
         * @return how many were added to {@code sink}
         */
        int take(List<byte[]> sink, int max, TakePositions positions) {
            int n = 0;
            if (returnedCount > 0) {
                synchronized (returned) {
                    while (n < max && !returned.isEmpty()) {
                        Returned r = returned.pollFirst();
                        sink.add(r.item());
                        positions.add(r.position());
                        returnedBytes -= r.item().length;
                        n++;
                    }
                    returnedCount = returned.size();
                }
            }
            if (n < max) {
                int got = 0;
                try {
                    got = store.drainTo(sink, max - n, 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (got > 0) {
                    positions.addRun(nextPosition.getAndAdd(got), got);
                }
                n += got;
            }
            return n;
        }

        /**
         * Puts items without take positions back at the head, in order, ahead of everything queued.
         *
         * @param items the items, head first
         * @return their bytes
         */
        long giveBack(List<byte[]> items) {
            return giveBack(items, new TakePositions());
        }

        /**
         * Puts items back at the head, ahead of everything queued; they may take the reader past the
         * capacity (they had room when they were taken). With positions (one per item), among the
         * given-back items they go in position order: behind those taken before them, ahead of those
         * taken after them. Without (an older client), in their order ahead of everything.
         *
         * @param items the items, head first
         * @param positions their take positions, or none
         * @return their bytes
         */
        long giveBack(List<byte[]> items, TakePositions positions) {
            long bytes = 0;
            for (byte[] b : items) {
                bytes += b.length;
            }
            synchronized (returned) {
                if (positions.count() != items.size()) {
                    for (int i = items.size() - 1; i >= 0; i--) {
                        returned.addFirst(new Returned(items.get(i), 0));
                    }
                } else {
                    List<Returned> all = new ArrayList<>(returned.size() + items.size());
                    all.addAll(returned);
                    for (int i = 0; i < items.size(); i++) {
                        all.add(new Returned(items.get(i), positions.at(i)));
                    }
                    // Stable: the given-back items were in position order already.
                    all.sort(Comparator.comparingLong(Returned::position));
                    returned.clear();
                    returned.addAll(all);
                }
                returnedBytes += bytes;
                returnedCount = returned.size();
            }
            return bytes;
        }

        /** @return the items queued for this reader, given-back ones included */
        int size() {
            return store.size() + returnedCount;
        }

        /** @return the head item without taking it, or null */
        byte[] peek() {
            if (returnedCount > 0) {
                synchronized (returned) {
                    if (!returned.isEmpty()) {
                        return returned.peekFirst().item();
                    }
                }
            }
            return store.peek();
        }

        /** @return how many items were removed, given-back ones included */
        int clear() {
            int dropped = 0;
            if (returnedCount > 0) {
                synchronized (returned) {
                    dropped = returned.size();
                    returnedClearedBytes.add(returnedBytes);
                    returned.clear();
                    returnedBytes = 0;
                    returnedCount = 0;
                }
                returnedCleared.add(dropped);
            }
            return dropped + store.clear();
        }

        /**
         * @return the store's metrics with given-back items counted as queued, not as gotten (the
         *     caller adds the server's own byte counters)
         */
        QueueMetrics metrics() {
            QueueMetrics m = store.metrics();
            int held = returnedCount;
            long cleared = returnedCleared.sum();
            return new QueueMetrics(m.size() + held, m.capacity(), m.puts(), m.gets() - held - cleared,
                    m.rejected(), m.dropped(), m.waits(), m.bytesIn(),
                    m.bytesOut() > 0 ? m.bytesOut() - returnedBytes - returnedClearedBytes.sum() : 0,
                    m.maxItemBytes(), m.cleared() + cleared);
        }
    }

    /** @return the queue's store, for puts and queue-wide operations */
    QueueStore<byte[]> store() {
        return store;
    }

    /**
     * Where a read goes.
     *
     * @param subscriber empty for the queue itself, else a broadcast subscriber's name
     * @return the reader
     * @throws UnsupportedOperationException naming the option when the queue is not broadcast
     */
    Reader reader(String subscriber) {
        if (subscriber.isEmpty()) {
            return main;
        }
        if (!broadcast) {
            throw new UnsupportedOperationException("queue " + descriptor.namespace() + "/" + descriptor.id()
                    + " has no BROADCAST capability: create it with option broadcast=true to have subscribers");
        }
        return subscribers.computeIfAbsent(subscriber,
                name -> new Reader(store.subscriber(name), new WaitingRoom(timer)));
    }

    /**
     * Adds items without waiting longer than {@code waitNanos}, and serves waiting readers.
     *
     * @return whether they were added
     */
    boolean offer(List<byte[]> items, int[] priorities, long waitNanos) throws InterruptedException {
        noteLargest(items);
        boolean ok = items.size() == 1
                ? store.offer(items.get(0), priorities[0], waitNanos)
                : store.offerAll(items, priorities, waitNanos);
        if (ok) {
            long bytes = 0;
            for (byte[] b : items) {
                bytes += b.length;
            }
            bytesIn.add(bytes);
            wakeReaders();
        }
        return ok;
    }

    private void noteLargest(List<byte[]> items) {
        long largest = 0;
        for (byte[] b : items) {
            largest = Math.max(largest, b.length);
        }
        if (largest > largestItem.get()) {
            largestItem.accumulateAndGet(largest, Math::max);
        }
    }

    /** @return the largest item this queue may hold, in bytes */
    long largestItemBytes() {
        return largestItem.get();
    }

    /** @return whether {@code n} more items fit now (a hint: another caller may take the room) */
    boolean hasRoomFor(int n) {
        return store.size() + n <= store.capacity();
    }

    /** Serves the calls waiting on any reader (after a put, and periodically for puts made elsewhere). */
    void wakeReaders() {
        main.room.dispatch();
        if (!subscribers.isEmpty()) {
            for (Reader r : subscribers.values()) {
                r.room.dispatch();
            }
        }
    }

    /**
     * Puts items a client took and did not hand out back at the head of a reader, in their take
     * order ({@link Reader#giveBack(List, TakePositions)}), and serves the calls waiting on it.
     *
     * @param reader where they were taken from
     * @param items the items, head first
     * @param positions their take positions, or none
     */
    void giveBack(Reader reader, List<byte[]> items, TakePositions positions) {
        noteLargest(items);
        // They were counted as delivered when taken; they will be again if taken again.
        bytesOut.add(-reader.giveBack(items, positions));
        reader.room.dispatch();
    }

    /** @param bytes encoded bytes handed to a client */
    void delivered(long bytes) {
        bytesOut.add(bytes);
    }

    /** Counts a read that had to wait on the server. */
    void waited() {
        serverWaits.increment();
    }

    /** @return the store's metrics with the server's byte and wait counters and item limit */
    QueueMetrics metrics(Reader reader) {
        QueueMetrics m = reader.metrics();
        long in = m.bytesIn() > 0 ? m.bytesIn() : bytesIn.sum();
        long out = m.bytesOut() > 0 ? m.bytesOut() : bytesOut.sum();
        return new QueueMetrics(m.size(), m.capacity(), m.puts(), m.gets(), m.rejected(), m.dropped(),
                m.waits() + serverWaits.sum(), in, out, maxItemBytes, m.cleared());
    }

    /**
     * Ends every waiting call with a failure.
     *
     * @param failure what the calls receive
     */
    void failWaiters(RuntimeException failure) {
        main.room.failAll(failure);
        for (Reader r : subscribers.values()) {
            r.room.failAll(failure);
        }
    }

    /** Removes the queue itself: a durable queue's journal too. */
    void destroy() {
        failWaiters(ErrorKind.CLOSED.toStatus("queue " + descriptor.namespace() + "/" + descriptor.id()
                + " was destroyed"));
        store.destroy();
    }

    /** Lets go of the queue as the server stops: in-memory queues go, durable ones stay on disk. */
    void release(RuntimeException failure) {
        failWaiters(failure);
        if (durable) {
            store.close();
        } else {
            store.destroy();
        }
    }
}
