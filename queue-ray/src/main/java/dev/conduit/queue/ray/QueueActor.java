package dev.conduit.queue.ray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Ray actor that holds one queue: opaque payloads (encoded by clients, never decoded here) in
 * 256 FIFO priority lanes, highest lane first. Clients reach it through {@link RayStore}; it runs
 * in a Ray worker JVM and needs nothing but the JDK, so no user class is ever loaded by it.
 *
 * <p>Blocking calls wait here, on conditions, rather than being retried by clients: a consumer
 * blocked in {@link #poll} costs one Ray call for its whole wait. Waiting consumers run in the
 * concurrency group {@value #GETTERS}, waiting producers in {@value #PUTTERS}, so neither kind can
 * take every thread from the other; calls that never wait run in the default group, in the order
 * each caller sent them.
 *
 * <p>Each waiting call carries a token; {@link #cancel} ends the wait of that token (a client
 * closed or interrupted). Methods are public because Ray invokes them; they are not an API.
 * Thread-safe: every method holds one lock.
 */
public final class QueueActor {
    /** The concurrency group of consumer calls that may wait. */
    static final String GETTERS = "getters";
    /** The concurrency group of producer calls that may wait. */
    static final String PUTTERS = "putters";
    /** Cancellation tokens remembered for calls that have not started yet. */
    private static final int MAX_REMEMBERED_CANCELS = 4096;
    private static final int LANES = 256;

    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<byte[]>[] lanes = new ArrayDeque[LANES];
    private int size;
    private long puts;
    private long gets;
    private long rejected;
    private long waits;
    private long bytesIn;
    private long bytesOut;
    // A cancel can overtake the call it cancels (they run in different groups): remember it, bounded,
    // because a cancel that arrives after its call finished is never consumed.
    private final Map<Long, Boolean> cancelled = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > MAX_REMEMBERED_CANCELS;
        }
    };

    /**
     * Creates an empty queue; Ray calls this once per actor (start and restart).
     *
     * @param capacity the most items held, at least 1
     * @throws IllegalArgumentException if capacity is below 1
     */
    public QueueActor(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Adds one payload, waiting up to {@code waitMillis} for room.
     *
     * @param payload the encoded item (kept as is)
     * @param priority 0–255
     * @param waitMillis the longest wait for room; 0 does not wait
     * @param token identifies this call for {@link #cancel}; 0 when not cancellable
     * @return 1 if added, 0 if the queue stayed full (or the call was cancelled)
     */
    public int offer(byte[] payload, int priority, long waitMillis, long token) {
        lock.lock();
        try {
            if (!awaitRoom(1, waitMillis, token)) {
                rejected++;
                return 0;
            }
            append(payload, priority);
            puts++;
            bytesIn += payload.length;
            notEmpty.signal();
            return 1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds every item of {@code frames} at once, or none, waiting up to {@code waitMillis} for room
     * for all of them.
     *
     * @param frames the items, in {@link Frames} layout
     * @param waitMillis the longest wait; 0 does not wait
     * @param token identifies this call for {@link #cancel}; 0 when not cancellable
     * @return 1 if added, 0 if there was no room in time (nothing added)
     */
    public int offerAll(byte[] frames, long waitMillis, long token) {
        int n = Frames.count(frames);
        lock.lock();
        try {
            if (n > capacity || !awaitRoom(n, waitMillis, token)) {
                rejected++;
                return 0;
            }
            long[] bytes = new long[1];
            Frames.read(frames, (priority, b, offset, length) -> {
                append(Arrays.copyOfRange(b, offset, offset + length), priority);
                bytes[0] += length;
            });
            puts += n;
            bytesIn += bytes[0];
            notEmpty.signalAll();
            return 1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes up to {@code maxItems} items, waiting up to {@code waitMillis} for the first.
     *
     * @param maxItems at least 1
     * @param waitMillis the longest wait for the first item; 0 does not wait
     * @param token identifies this call for {@link #cancel}; 0 when not cancellable
     * @return the items in {@link Frames} layout, in queue order; no items on timeout or cancel
     */
    public byte[] poll(int maxItems, long waitMillis, long token) {
        lock.lock();
        try {
            if (!awaitItems(waitMillis, token)) {
                return Frames.EMPTY;
            }
            int n = Math.min(Math.max(1, maxItems), size);
            List<byte[]> payloads = new ArrayList<>(n);
            int[] priorities = new int[n];
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                int lane = highestLane();
                byte[] p = lanes[lane].pollFirst();
                payloads.add(p);
                priorities[i] = lane;
                bytes += p.length;
            }
            size -= n;
            gets += n;
            bytesOut += bytes;
            notFull.signalAll();
            if (size > 0) {
                notEmpty.signal();
            }
            return Frames.write(payloads, priorities);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Puts items a client took but could not hand to its caller (it was interrupted or closed
     * while the call was in flight) back at the head of their lanes, in their original order.
     *
     * @param frames the items {@link #poll} returned
     * @return how many were returned
     */
    public int returnItems(byte[] frames) {
        List<byte[]> payloads = new ArrayList<>();
        List<Integer> priorities = new ArrayList<>();
        Frames.read(frames, (priority, b, offset, length) -> {
            payloads.add(Arrays.copyOfRange(b, offset, offset + length));
            priorities.add(priority);
        });
        lock.lock();
        try {
            for (int i = payloads.size() - 1; i >= 0; i--) {
                lane(priorities.get(i)).addFirst(payloads.get(i));
                bytesOut -= payloads.get(i).length;
            }
            size += payloads.size();
            gets -= payloads.size();
            notEmpty.signalAll();
            return payloads.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the queue holds an item.
     *
     * @param waitMillis the longest wait
     * @param token identifies this call for {@link #cancel}; 0 when not cancellable
     * @return true if it holds one
     */
    public boolean awaitNotEmpty(long waitMillis, long token) {
        lock.lock();
        try {
            boolean ready = awaitItems(waitMillis, token);
            if (ready) {
                notEmpty.signal();
            }
            return ready;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the wait of the call that carries {@code token}, now or when it starts.
     *
     * @param token the token of a waiting call
     * @return 1
     */
    public int cancel(long token) {
        lock.lock();
        try {
            cancelled.put(token, Boolean.TRUE);
            notEmpty.signalAll();
            notFull.signalAll();
            return 1;
        } finally {
            lock.unlock();
        }
    }

    /** @return the head in {@link Frames} layout (one item, or none when empty), not removed */
    public byte[] peek() {
        lock.lock();
        try {
            if (size == 0) {
                return Frames.EMPTY;
            }
            int lane = highestLane();
            return Frames.write(List.of(lanes[lane].peekFirst()), new int[] {lane});
        } finally {
            lock.unlock();
        }
    }

    /** @return the number of items held */
    public int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** @return the capacity this actor was created with */
    public int capacity() {
        return capacity;
    }

    /** @return how many items were removed */
    public int clear() {
        lock.lock();
        try {
            int n = size;
            for (ArrayDeque<byte[]> lane : lanes) {
                if (lane != null) {
                    lane.clear();
                }
            }
            size = 0;
            notFull.signalAll();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The counters, in a fixed order read by {@link RayStore#metrics()}.
     *
     * @return size, capacity, puts, gets, rejected, waits, bytesIn, bytesOut
     */
    public long[] stats() {
        lock.lock();
        try {
            return new long[] {size, capacity, puts, gets, rejected, waits, bytesIn, bytesOut};
        } finally {
            lock.unlock();
        }
    }

    /**
     * A call that does nothing: clients send it once after creating the actor, so that no later
     * call can overtake the actor's start.
     *
     * @return 1
     */
    public int ping() {
        return 1;
    }

    private boolean awaitRoom(int n, long waitMillis, long token) {
        if (isCancelled(token)) {
            return false;
        }
        if (size + n <= capacity) {
            return true;
        }
        if (waitMillis <= 0) {
            return false;
        }
        waits++;
        long left = TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (size + n > capacity) {
            if (left <= 0 || isCancelled(token)) {
                // Pass on a wake-up this call may have consumed without using it.
                if (size < capacity) {
                    notFull.signal();
                }
                return false;
            }
            left = awaitNanos(notFull, left);
        }
        return true;
    }

    private boolean awaitItems(long waitMillis, long token) {
        if (isCancelled(token)) {
            return false;
        }
        if (size > 0) {
            return true;
        }
        if (waitMillis <= 0) {
            return false;
        }
        waits++;
        long left = TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (size == 0) {
            if (left <= 0 || isCancelled(token)) {
                return false;
            }
            left = awaitNanos(notEmpty, left);
        }
        if (isCancelled(token)) {
            notEmpty.signal();
            return false;
        }
        return true;
    }

    private static long awaitNanos(Condition condition, long nanos) {
        try {
            return condition.awaitNanos(nanos);
        } catch (InterruptedException e) {
            // Ray interrupts actor threads only when the actor is being killed: end the wait.
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private boolean isCancelled(long token) {
        return token != 0 && cancelled.remove(token) != null;
    }

    private ArrayDeque<byte[]> lane(int priority) {
        ArrayDeque<byte[]> lane = lanes[priority];
        if (lane == null) {
            lane = new ArrayDeque<>();
            lanes[priority] = lane;
        }
        return lane;
    }

    private void append(byte[] payload, int priority) {
        lane(priority).addLast(payload);
        size++;
    }

    private int highestLane() {
        for (int p = LANES - 1; p >= 0; p--) {
            ArrayDeque<byte[]> lane = lanes[p];
            if (lane != null && !lane.isEmpty()) {
                return p;
            }
        }
        throw new IllegalStateException("queue holds " + size + " items but every lane is empty");
    }
}
