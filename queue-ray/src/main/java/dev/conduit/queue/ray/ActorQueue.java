package dev.conduit.queue.ray;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One queue inside a {@link QueueActor}: opaque payloads (encoded by clients, never decoded here) in
 * 256 FIFO priority lanes, highest lane first, plus the <em>overflow</em>: batches that pipelined
 * puts ({@link #send}) delivered while the queue had no room for them. Overflow batches enter the
 * queue whole, in arrival order, as soon as there is room, and ahead of any later put, so FIFO per
 * producer and batch atomicity hold; {@link #size()} never exceeds the capacity.
 *
 * <p>Blocking calls wait here, on conditions; each carries a token that {@link #cancel} can end.
 * The queue knows which tokens' calls are under way and which ended, so a cancel tells its client
 * whether the call will still answer or will never take or add anything (it had not started: it is
 * queued for a wait thread while every one is busy), and the client need not wait for it.
 * Plain Java, so it is unit-tested without Ray. Thread-safe: every method holds one lock.
 */
final class ActorQueue {
    /** {@link #cancel}: the call had not started; it will end at once, taking and adding nothing. */
    static final int CANCELLED_BEFORE_START = 0;
    /** {@link #cancel}: the call is under way or ended; its answer is on its way. */
    static final int CANCELLED_AFTER_START = 1;
    /** Cancels remembered of calls that have not started yet, and tokens of calls that ended. */
    static final int MAX_REMEMBERED_TOKENS = 4096;
    private static final int LANES = 256;

    private final String name;
    private final long id;
    private final int capacity;
    /** The most bytes of frames one poll answers with, {@link Frames#MAX_LENGTH} but in tests. */
    private final int maxAnswerLength;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<Slice>[] lanes = new ArrayDeque[LANES];
    /** One bit per non-empty lane, so the highest lane is found without a scan. */
    private final long[] occupied = new long[LANES / Long.SIZE];
    private final ArrayDeque<Batch> overflow = new ArrayDeque<>();
    private int overflowItems;
    private int size;
    private boolean destroyed;
    private long puts;
    private long gets;
    private long rejected;
    private long waits;
    private long cleared;
    private long bytesIn;
    private long bytesOut;
    // A cancel can overtake the call it cancels (they run in different groups, and a waiting call
    // stays queued while every wait thread is busy): remember it until its call starts. Never
    // forgotten before then (a forgotten one would run as a plain call and take items its client,
    // told it would not, never receives); at MAX_REMEMBERED_TOKENS a further cancel of a call that
    // has not started is not remembered but answered as one that started, so its client waits for
    // the answer. The value: whether the cancel counts as the refusal of a put's last try.
    private final Map<Long, Boolean> cancelled = new HashMap<>();
    /** Tokens of the waiting calls under way. */
    private final Set<Long> running = new HashSet<>();
    /** Tokens of calls that ended, so that a cancel which crossed the answer is told the call ran. */
    private final Map<Long, Boolean> ended = remembered();

    /** Where one payload lives: a range of a request or frames array the actor received. */
    record Slice(byte[] bytes, int offset, int length) {
    }

    /**
     * Items that arrive together and enter the queue together.
     *
     * <p>An item normally stays a slice of the request that carried it. But the items of one request
     * can leave at very different times (a coalesced send mixes priorities; a low-priority item
     * waits behind every higher one), and one slice keeps its whole request alive: a queue of
     * 4096 items could hold 4096 requests of a megabyte. So an item whose request is more than
     * {@value #SHARED_REQUEST_BYTES} bytes and more than twice its own length is copied out of it:
     * what the queue keeps stays about the size of its items.
     */
    record Batch(Slice[] items, int[] priorities) {
        /** The request size above which an item that is less than half of it gets its own array. */
        static final int SHARED_REQUEST_BYTES = 64 * 1024;

        int count() {
            return items.length;
        }

        static Batch of(byte[] frames, int offset) {
            int n = Frames.count(frames, offset);
            if (n < 0 || n > (frames.length - offset) / Frames.ITEM_HEADER_LENGTH) {
                throw new IllegalArgumentException("corrupt frames: count " + n);
            }
            Slice[] items = new Slice[n];
            int[] priorities = new int[n];
            int[] next = {0};
            boolean large = frames.length > SHARED_REQUEST_BYTES;
            Frames.read(frames, offset, (priority, b, off, len) -> {
                items[next[0]] = large && b.length > 2L * len
                        ? new Slice(java.util.Arrays.copyOfRange(b, off, off + len), 0, len)
                        : new Slice(b, off, len);
                priorities[next[0]++] = priority;
            });
            return new Batch(items, priorities);
        }
    }

    /**
     * An empty queue.
     *
     * @param name the queue's name in its actor
     * @param id the id clients address it by
     * @param capacity the most items held, at least 1
     * @throws IllegalArgumentException if capacity is below 1
     */
    ActorQueue(String name, long id, int capacity) {
        this(name, id, capacity, Frames.MAX_LENGTH);
    }

    /** An empty queue whose polls answer with at most {@code maxAnswerLength} bytes of frames (tests). */
    ActorQueue(String name, long id, int capacity, int maxAnswerLength) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
        }
        this.name = name;
        this.id = id;
        this.capacity = capacity;
        this.maxAnswerLength = maxAnswerLength;
    }

    String name() {
        return name;
    }

    long id() {
        return id;
    }

    int capacity() {
        return capacity;
    }

    /** How a wait ended; GAVE_UP: cancelled because the client's time for a put's last try ran out. */
    private enum Wait {
        READY, TIMED_OUT, CANCELLED, GAVE_UP
    }

    private static Map<Long, Boolean> remembered() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
                return size() > MAX_REMEMBERED_TOKENS;
            }
        };
    }

    /**
     * Adds one payload, waiting up to {@code waitMillis} for room (behind every overflow batch).
     *
     * @param flags {@link Requests#LAST_TRY}, {@link Requests#CONTINUED}
     * @return the room left after adding it, or -1 if it was not added (full, cancelled)
     * @throws QueueGoneException if the queue was destroyed
     */
    long offer(Slice payload, int priority, long waitMillis, long token, int flags) {
        lock.lock();
        try {
            if (!admitted(awaitRoom(1, waitMillis, token, flags), flags)) {
                return -1;
            }
            append(payload, priority);
            puts++;
            bytesIn += payload.length();
            notEmpty.signal();
            return capacity - size;
        } finally {
            end(token);
            lock.unlock();
        }
    }

    /**
     * Adds every item of a batch at once, or none, waiting up to {@code waitMillis} for room for all.
     *
     * @param flags {@link Requests#LAST_TRY}, {@link Requests#CONTINUED}
     * @return the room left after adding them, or -1 if nothing was added
     * @throws QueueGoneException if the queue was destroyed
     */
    long offerAll(Batch batch, long waitMillis, long token, int flags) {
        lock.lock();
        try {
            Wait room = batch.count() > capacity ? Wait.TIMED_OUT : awaitRoom(batch.count(), waitMillis, token, flags);
            if (!admitted(room, flags)) {
                return -1;
            }
            appendAll(batch);
            notEmpty.signalAll();
            return capacity - size;
        } finally {
            end(token);
            lock.unlock();
        }
    }

    /**
     * A pipelined put: adds the batch whole if there is room and no overflow, otherwise parks it in
     * the overflow, from which it enters the queue once there is room. Never waits.
     *
     * @return the room left (at least 0) when the batch went in, or minus the overflow's item count
     *     when it was parked
     * @throws QueueGoneException if the queue was destroyed
     */
    long send(Batch batch) {
        lock.lock();
        try {
            checkAlive();
            if (overflow.isEmpty() && size + batch.count() <= capacity) {
                appendAll(batch);
                notEmpty.signalAll();
                return capacity - size;
            }
            overflow.addLast(batch);
            overflowItems += batch.count();
            return -overflowItems;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes up to {@code maxItems} items, waiting up to {@code waitMillis} for the first. It
     * takes fewer when their frames would be over what one answer carries ({@link Frames#MAX_LENGTH}),
     * but always the first.
     *
     * @param flags {@link Requests#CONTINUED}
     * @return the items in {@link Frames} layout, in queue order; no items on timeout or cancel
     * @throws QueueGoneException if the queue was destroyed
     */
    byte[] poll(int maxItems, long waitMillis, long token, int flags) {
        lock.lock();
        try {
            if (awaitItems(waitMillis, token, flags) != Wait.READY) {
                return Frames.EMPTY;
            }
            int n = Math.min(Math.max(1, maxItems), size);
            Slice[] taken = new Slice[n];
            int[] priorities = new int[n];
            long bytes = 0;
            long length = Frames.HEADER_LENGTH;
            for (int i = 0; i < n; i++) {
                int lane = highestLane();
                length += Frames.ITEM_HEADER_LENGTH + lanes[lane].peekFirst().length();
                if (i > 0 && length > maxAnswerLength) {
                    // Taken items the answer could not carry would be lost: leave them queued.
                    taken = java.util.Arrays.copyOf(taken, i);
                    priorities = java.util.Arrays.copyOf(priorities, i);
                    break;
                }
                taken[i] = removeFirst(lane);
                priorities[i] = lane;
                bytes += taken[i].length();
            }
            gets += taken.length;
            bytesOut += bytes;
            admitOverflow();
            notFull.signalAll();
            if (size > 0) {
                notEmpty.signal();
            }
            return Frames.write(taken, priorities);
        } finally {
            end(token);
            lock.unlock();
        }
    }

    /**
     * Puts items a client took but could not hand to its caller back at the head of their lanes, in
     * their original order. They may briefly push the size over the capacity (room they left was
     * taken meanwhile); that is better than losing them.
     *
     * @return how many were returned
     * @throws QueueGoneException if the queue was destroyed
     */
    int returnItems(Batch batch) {
        lock.lock();
        try {
            checkAlive();
            for (int i = batch.count() - 1; i >= 0; i--) {
                Slice s = batch.items()[i];
                lane(batch.priorities()[i]).addFirst(s);
                markOccupied(batch.priorities()[i]);
                bytesOut -= s.length();
            }
            size += batch.count();
            gets -= batch.count();
            notEmpty.signalAll();
            return batch.count();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the queue holds an item.
     *
     * @param flags {@link Requests#CONTINUED}
     * @return true if it holds one
     * @throws QueueGoneException if the queue was destroyed
     */
    boolean awaitNotEmpty(long waitMillis, long token, int flags) {
        lock.lock();
        try {
            boolean ready = awaitItems(waitMillis, token, flags) == Wait.READY;
            if (ready) {
                notEmpty.signal();
            }
            return ready;
        } finally {
            end(token);
            lock.unlock();
        }
    }

    /**
     * Ends the wait of the call that carries {@code token}, now or when it starts.
     *
     * @param token the call's token
     * @param refusal whether the client gives up a put's last try because its time ran out: the
     *     cancel then counts as the put's refusal
     * @return {@link #CANCELLED_BEFORE_START} if the call had not started (it will take and add
     *     nothing, so its client need not wait for its answer), else {@link #CANCELLED_AFTER_START},
     *     also for a call that has not started when {@value #MAX_REMEMBERED_TOKENS} such cancels
     *     wait for their calls already (it then runs as sent, and its answer is its client's)
     */
    int cancel(long token, boolean refusal) {
        lock.lock();
        try {
            if (running.contains(token)) {
                cancelled.put(token, refusal);
                notEmpty.signalAll();
                notFull.signalAll();
                return CANCELLED_AFTER_START;
            }
            if (ended.containsKey(token) || cancelled.size() >= MAX_REMEMBERED_TOKENS) {
                return CANCELLED_AFTER_START;
            }
            cancelled.put(token, Boolean.FALSE);
            if (refusal) {
                rejected++;
            }
            return CANCELLED_BEFORE_START;
        } finally {
            lock.unlock();
        }
    }

    /** @return the head in {@link Frames} layout (one item, or none), not removed */
    byte[] peek() {
        lock.lock();
        try {
            checkAlive();
            if (size == 0) {
                return Frames.EMPTY;
            }
            int lane = highestLane();
            return Frames.write(new Slice[] {lanes[lane].peekFirst()}, new int[] {lane});
        } finally {
            lock.unlock();
        }
    }

    /** @return the number of queued items (not counting the overflow) */
    int size() {
        lock.lock();
        try {
            checkAlive();
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** @return how many items were removed; overflow batches then enter */
    int clear() {
        lock.lock();
        try {
            checkAlive();
            int n = size;
            for (ArrayDeque<Slice> lane : lanes) {
                if (lane != null) {
                    lane.clear();
                }
            }
            java.util.Arrays.fill(occupied, 0);
            size = 0;
            cleared += n;
            admitOverflow();
            notFull.signalAll();
            if (size > 0) {
                notEmpty.signalAll();
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** @return size, capacity, puts, gets, rejected, waits, bytesIn, bytesOut, cleared */
    long[] stats() {
        lock.lock();
        try {
            checkAlive();
            return new long[] {size, capacity, puts, gets, rejected, waits, bytesIn, bytesOut, cleared};
        } finally {
            lock.unlock();
        }
    }

    /** Drops every item and ends every wait; later calls throw {@link QueueGoneException}. */
    void destroy() {
        lock.lock();
        try {
            destroyed = true;
            for (ArrayDeque<Slice> lane : lanes) {
                if (lane != null) {
                    lane.clear();
                }
            }
            overflow.clear();
            size = 0;
            overflowItems = 0;
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- under the lock

    private void checkAlive() {
        if (destroyed) {
            throw new QueueGoneException(name);
        }
    }

    /**
     * Whether a put may go ahead; counts a refusal that ends the put (a timeout of its last try, not
     * a cancel: the client then reports an interrupt or a closed handle).
     */
    private boolean admitted(Wait room, int flags) {
        if (room == Wait.READY) {
            return true;
        }
        if (room == Wait.GAVE_UP || (room == Wait.TIMED_OUT && (flags & Requests.LAST_TRY) != 0)) {
            rejected++;
        }
        return false;
    }

    private Wait awaitRoom(int n, long waitMillis, long token, int flags) {
        checkAlive();
        if (!begin(token)) {
            return Wait.CANCELLED;
        }
        if (hasRoom(n)) {
            return Wait.READY;
        }
        if (waitMillis <= 0) {
            return Wait.TIMED_OUT;
        }
        countWait(flags);
        long left = TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (!hasRoom(n)) {
            Wait cancel = cancelled(token);
            if (left <= 0 || cancel != null) {
                // Pass on a wake-up this call may have consumed without using it.
                if (size < capacity) {
                    notFull.signal();
                }
                return cancel != null ? cancel : Wait.TIMED_OUT;
            }
            left = awaitNanos(notFull, left);
            checkAlive();
        }
        return Wait.READY;
    }

    private void countWait(int flags) {
        if ((flags & Requests.CONTINUED) == 0) {
            waits++;
        }
    }

    private boolean hasRoom(int n) {
        return overflow.isEmpty() && size + n <= capacity;
    }

    private Wait awaitItems(long waitMillis, long token, int flags) {
        checkAlive();
        if (!begin(token)) {
            return Wait.CANCELLED;
        }
        if (size > 0) {
            return Wait.READY;
        }
        if (waitMillis <= 0) {
            return Wait.TIMED_OUT;
        }
        countWait(flags);
        long left = TimeUnit.MILLISECONDS.toNanos(waitMillis);
        while (size == 0) {
            Wait cancel = cancelled(token);
            if (cancel != null) {
                return cancel;
            }
            if (left <= 0) {
                return Wait.TIMED_OUT;
            }
            left = awaitNanos(notEmpty, left);
            checkAlive();
        }
        Wait cancel = cancelled(token);
        if (cancel != null) {
            notEmpty.signal();
            return cancel;
        }
        return Wait.READY;
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

    /** Notes that the call carrying {@code token} starts; false if it was cancelled before. */
    private boolean begin(long token) {
        if (token == 0) {
            return true;
        }
        if (cancelled.remove(token) != null) {
            return false;
        }
        running.add(token);
        return true;
    }

    /** Notes that the call carrying {@code token} ends (before its answer leaves the actor). */
    private void end(long token) {
        if (token == 0) {
            return;
        }
        running.remove(token);
        // A cancel that came while the call ran and was not seen by it.
        cancelled.remove(token);
        ended.put(token, Boolean.TRUE);
    }

    /** @return how a running call's wait was cancelled, or null if it was not */
    private Wait cancelled(long token) {
        Boolean refusal = token == 0 ? null : cancelled.remove(token);
        return refusal == null ? null : refusal ? Wait.GAVE_UP : Wait.CANCELLED;
    }

    /** Moves overflow batches into the queue, oldest first, while each fits whole. */
    private void admitOverflow() {
        boolean admitted = false;
        while (!overflow.isEmpty() && size + overflow.peekFirst().count() <= capacity) {
            Batch b = overflow.pollFirst();
            overflowItems -= b.count();
            appendAll(b);
            admitted = true;
        }
        if (admitted) {
            notEmpty.signalAll();
        }
    }

    private void appendAll(Batch batch) {
        long bytes = 0;
        for (int i = 0; i < batch.count(); i++) {
            append(batch.items()[i], batch.priorities()[i]);
            bytes += batch.items()[i].length();
        }
        puts += batch.count();
        bytesIn += bytes;
    }

    private ArrayDeque<Slice> lane(int priority) {
        ArrayDeque<Slice> lane = lanes[priority];
        if (lane == null) {
            lane = new ArrayDeque<>();
            lanes[priority] = lane;
        }
        return lane;
    }

    private void append(Slice payload, int priority) {
        lane(priority).addLast(payload);
        markOccupied(priority);
        size++;
    }

    private Slice removeFirst(int lane) {
        ArrayDeque<Slice> l = lanes[lane];
        Slice s = l.pollFirst();
        if (l.isEmpty()) {
            occupied[lane >>> 6] &= ~(1L << (lane & 63));
        }
        size--;
        return s;
    }

    private void markOccupied(int priority) {
        occupied[priority >>> 6] |= 1L << (priority & 63);
    }

    private int highestLane() {
        for (int w = occupied.length - 1; w >= 0; w--) {
            if (occupied[w] != 0) {
                return w * Long.SIZE + 63 - Long.numberOfLeadingZeros(occupied[w]);
            }
        }
        throw new IllegalStateException("queue holds " + size + " items but every lane is empty");
    }
}
