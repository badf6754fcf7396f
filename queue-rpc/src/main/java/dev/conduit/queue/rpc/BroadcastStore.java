package dev.conduit.queue.rpc;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.QueueStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The server's in-memory broadcast queue (descriptor option {@code broadcast=true}): one log of
 * items that every subscriber reads at its own pace. A subscriber is a name with a cursor; it
 * sees every item put after it was created (the first subscriber of a queue that has none starts
 * at the oldest retained item, so nothing put before anyone listened is lost to it) and keeps its
 * place for as long as the server hosts the queue. Reads on the queue itself are the subscriber
 * named {@value #DEFAULT_SUBSCRIBER}.
 *
 * <p>The log keeps an item until every subscriber has read it; {@code capacity} bounds how far the
 * slowest subscriber may lag. A put into a full log waits (BLOCK), fails (REJECT), or drops the
 * oldest item, moving lagging cursors past it (DROP_OLDEST, counted as dropped). Priorities are
 * accepted and ignored: a broadcast log is FIFO.
 *
 * <p>Thread-safe (one lock).
 */
final class BroadcastStore implements QueueStore<byte[]> {
    /** The subscriber that reads on behalf of the queue itself. */
    static final String DEFAULT_SUBSCRIBER = "";

    private final int capacity;
    private final Backpressure backpressure;
    private final Set<Capability> capabilities;
    private final byte[][] ring;
    private final Map<String, long[]> cursors = new LinkedHashMap<>();
    private final MetricsCounters counters = new MetricsCounters();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long head;
    private long tail;
    private volatile boolean closed;

    BroadcastStore(int capacity, Backpressure backpressure, Set<Capability> capabilities) {
        this.capacity = capacity;
        this.backpressure = backpressure;
        this.capabilities = capabilities;
        this.ring = new byte[capacity][];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public boolean offer(byte[] item, int priority, long timeoutNanos) throws InterruptedException {
        return offerAll(List.of(item), null, timeoutNanos);
    }

    @Override
    public boolean offerAll(List<? extends byte[]> items, int[] priorities, long timeoutNanos)
            throws InterruptedException {
        int n = items.size();
        long deadline = Deadline.deadline(timeoutNanos);
        lock.lockInterruptibly();
        try {
            checkOpen();
            boolean waited = false;
            while (tail - head + n > capacity) {
                if (backpressure == Backpressure.DROP_OLDEST) {
                    dropOldest();
                    continue;
                }
                long left = backpressure == Backpressure.REJECT ? 0 : Deadline.remaining(deadline);
                if (left == 0) {
                    counters.rejected();
                    return false;
                }
                if (!waited) {
                    counters.waited();
                    waited = true;
                }
                changed.awaitNanos(left);
                checkOpen();
            }
            for (byte[] item : items) {
                ring[(int) (tail % capacity)] = item;
                tail++;
                counters.bytesIn(item.length);
            }
            counters.puts(n);
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void dropOldest() {
        ring[(int) (head % capacity)] = null;
        head++;
        counters.dropped(1);
        for (long[] c : cursors.values()) {
            if (c[0] < head) {
                c[0] = head;
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new QueueClosedException("broadcast queue is closed");
        }
    }

    /** The cursor of a subscriber, made on first use. Lock held. */
    private long[] cursor(String name) {
        long[] c = cursors.get(name);
        if (c == null) {
            c = new long[] {cursors.isEmpty() ? head : tail};
            cursors.put(name, c);
        }
        return c;
    }

    /** Creates a subscriber's cursor now, if it has none: it sees every item put from now on. */
    void register(String subscriber) {
        lock.lock();
        try {
            cursor(subscriber);
        } finally {
            lock.unlock();
        }
    }

    /** Frees items every subscriber has read. Lock held. */
    private void trim() {
        long min = tail;
        for (long[] c : cursors.values()) {
            min = Math.min(min, c[0]);
        }
        if (min > head) {
            while (head < min) {
                ring[(int) (head % capacity)] = null;
                head++;
            }
            changed.signalAll();
        }
    }

    int drain(String subscriber, Collection<? super byte[]> sink, int maxItems, long timeoutNanos)
            throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        lock.lockInterruptibly();
        try {
            checkOpen();
            long[] c = cursor(subscriber);
            boolean waited = false;
            while (c[0] >= tail) {
                long left = Deadline.remaining(deadline);
                if (left == 0) {
                    return 0;
                }
                if (!waited) {
                    counters.waited();
                    waited = true;
                }
                changed.awaitNanos(left);
                checkOpen();
                c = cursor(subscriber);
            }
            int n = 0;
            while (n < maxItems && c[0] < tail) {
                byte[] item = ring[(int) (c[0] % capacity)];
                c[0]++;
                sink.add(item);
                counters.bytesOut(item.length);
                n++;
            }
            counters.gets(n);
            trim();
            return n;
        } finally {
            lock.unlock();
        }
    }

    byte[] peek(String subscriber) {
        lock.lock();
        try {
            checkOpen();
            long[] c = cursor(subscriber);
            return c[0] < tail ? ring[(int) (c[0] % capacity)] : null;
        } finally {
            lock.unlock();
        }
    }

    int size(String subscriber) {
        lock.lock();
        try {
            long[] c = cursors.get(subscriber);
            if (c != null) {
                return (int) (tail - c[0]);
            }
            // No cursor yet: its first read makes one where cursor() would, and sees what is after it.
            return cursors.isEmpty() ? (int) (tail - head) : 0;
        } finally {
            lock.unlock();
        }
    }

    int clear(String subscriber) {
        lock.lock();
        try {
            checkOpen();
            if (!subscriber.equals(DEFAULT_SUBSCRIBER)) {
                long[] c = cursor(subscriber);
                int n = (int) (tail - c[0]);
                c[0] = tail;
                counters.cleared(n);
                trim();
                return n;
            }
            int n = (int) (tail - head);
            for (long[] c : cursors.values()) {
                c[0] = tail;
            }
            counters.cleared(n);
            head = tail;
            Arrays.fill(ring, null);
            changed.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    boolean awaitNotEmpty(String subscriber, long timeoutNanos) throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        lock.lockInterruptibly();
        try {
            checkOpen();
            long[] c = cursor(subscriber);
            while (c[0] >= tail) {
                long left = Deadline.remaining(deadline);
                if (left == 0) {
                    return false;
                }
                changed.awaitNanos(Math.min(left, TimeUnit.SECONDS.toNanos(1)));
                checkOpen();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] poll(long timeoutNanos) throws InterruptedException {
        return SubscriberView.first(this, DEFAULT_SUBSCRIBER, timeoutNanos);
    }

    @Override
    public int drainTo(Collection<? super byte[]> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        return drain(DEFAULT_SUBSCRIBER, sink, maxItems, timeoutNanos);
    }

    @Override
    public byte[] peek() {
        return peek(DEFAULT_SUBSCRIBER);
    }

    @Override
    public int size() {
        return size(DEFAULT_SUBSCRIBER);
    }

    @Override
    public int clear() {
        return clear(DEFAULT_SUBSCRIBER);
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        return awaitNotEmpty(DEFAULT_SUBSCRIBER, timeoutNanos);
    }

    @Override
    public QueueMetrics metrics() {
        return counters.snapshot(size(), capacity, -1);
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public QueueStore<byte[]> subscriber(String name) {
        return new SubscriberView(this, name);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void destroy() {
        close();
    }

    /** One named subscriber's reads; puts go to the shared log. Thread-safe. */
    private static final class SubscriberView implements QueueStore<byte[]> {
        private final BroadcastStore log;
        private final String name;

        SubscriberView(BroadcastStore log, String name) {
            this.log = log;
            this.name = name;
            log.register(name);
        }

        static byte[] first(BroadcastStore log, String name, long timeoutNanos) throws InterruptedException {
            ArrayList<byte[]> one = new ArrayList<>(1);
            return log.drain(name, one, 1, timeoutNanos) == 0 ? null : one.get(0);
        }

        @Override
        public int capacity() {
            return log.capacity;
        }

        @Override
        public boolean offer(byte[] item, int priority, long timeoutNanos) throws InterruptedException {
            return log.offer(item, priority, timeoutNanos);
        }

        @Override
        public boolean offerAll(List<? extends byte[]> items, int[] priorities, long timeoutNanos)
                throws InterruptedException {
            return log.offerAll(items, priorities, timeoutNanos);
        }

        @Override
        public byte[] poll(long timeoutNanos) throws InterruptedException {
            return first(log, name, timeoutNanos);
        }

        @Override
        public int drainTo(Collection<? super byte[]> sink, int maxItems, long timeoutNanos)
                throws InterruptedException {
            return log.drain(name, sink, maxItems, timeoutNanos);
        }

        @Override
        public byte[] peek() {
            return log.peek(name);
        }

        @Override
        public int size() {
            return log.size(name);
        }

        @Override
        public int clear() {
            return log.clear(name);
        }

        @Override
        public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
            return log.awaitNotEmpty(name, timeoutNanos);
        }

        @Override
        public QueueMetrics metrics() {
            QueueMetrics m = log.metrics();
            return new QueueMetrics(size(), m.capacity(), m.puts(), m.gets(), m.rejected(), m.dropped(), m.waits(),
                    m.bytesIn(), m.bytesOut(), m.maxItemBytes(), m.cleared());
        }

        @Override
        public Set<Capability> capabilities() {
            return log.capabilities;
        }

        @Override
        public QueueStore<byte[]> subscriber(String other) {
            return new SubscriberView(log, other);
        }

        @Override
        public void close() {
            // A view owns nothing; the log lives as long as the hosted queue.
        }

        @Override
        public void destroy() {
            log.destroy();
        }
    }
}
