package dev.conduit.queue.rpc;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
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

    HostedQueue(QueueDescriptor descriptor, String serverType, boolean durable, QueueStore<byte[]> store,
            long maxItemBytes, ScheduledExecutorService timer) {
        this.descriptor = descriptor;
        this.serverType = serverType;
        this.durable = durable;
        this.broadcast = store.capabilities().contains(Capability.BROADCAST);
        this.store = store;
        this.maxItemBytes = maxItemBytes;
        this.timer = timer;
        this.main = new Reader(store, new WaitingRoom(timer));
        EnumSet<Capability> caps = EnumSet.of(Capability.CROSS_PROCESS, Capability.DISTRIBUTED,
                Capability.ITEM_SIZE_LIMIT);
        caps.addAll(store.capabilities());
        caps.remove(Capability.IN_JVM);
        this.capabilities = Collections.unmodifiableSet(caps);
    }

    /** The store a read goes to and the calls waiting on it. */
    static final class Reader {
        final QueueStore<byte[]> store;
        final WaitingRoom room;

        Reader(QueueStore<byte[]> store, WaitingRoom room) {
            this.store = store;
            this.room = room;
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
        QueueMetrics m = reader.store.metrics();
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
