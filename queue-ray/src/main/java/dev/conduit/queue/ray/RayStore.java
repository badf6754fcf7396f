package dev.conduit.queue.ray;

import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.QueueStore;
import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.exception.RayException;
import io.ray.api.exception.RayTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One handle on a queue held in a {@link QueueActor}: encodes items, sends one Ray call per
 * operation (one per batch for {@code putAll} and {@code getBatch}) and decodes what comes back.
 *
 * <p><b>Call order.</b> Every operation is first sent to the actor's default group without waiting;
 * Ray runs that group's calls one at a time in the order this process sent them, so an operation
 * sees everything this process did before it. Only when it must wait (empty queue for a get, full
 * queue for a put) does it send a second, waiting call to the {@code getters} or {@code putters}
 * group, and by then every earlier call of this process has been applied. Items a handle holds back
 * (see coalescing below) are sent first: every operation of any handle of this process on the same
 * queue sends them before its own call, so this order holds for them too.
 *
 * <p><b>Pipelined puts.</b> {@code put} and {@code putAll} without a timeout do not wait for the
 * actor's answer while the handle knows there is room (the room the actor reported last, minus what
 * it sent or holds back since): at most {@link RayQueueOptions#pipeline()} calls are unanswered. A
 * put that meets a queue filled meanwhile by other producers is parked in the actor and enters, in
 * order, as soon as there is room; the handle then stops pipelining until the actor reports room
 * again, so a producer is never more than its window ahead of a full queue. A failed pipelined call
 * is reported by the handle's next put or by {@link #close()}.
 *
 * <p><b>Coalescing.</b> A pipelined put that finds the window full does not wait for the oldest
 * answer: it appends its items to the handle's pending list (at most {@link #MAX_PENDING_ITEMS}
 * items and {@link #MAX_PENDING_BYTES} bytes, and never more than the known room) and returns. The
 * pending list goes out as one {@code send} call, which the actor applies atomically and in order,
 * so a {@code putAll} stays contiguous and whole: when a later put finds room in the window, when any
 * other operation on the queue is called from this process, on {@link #close()}, and at the latest
 * {@link #LINGER_MICROS} µs after its first item (a shared daemon thread). Those flushes never wait,
 * so the window may briefly hold one call more than {@code pipeline}; a put that finds more waits
 * for the oldest answer. Each queued item then costs the actor about one call (the consumer's)
 * instead of two.
 *
 * <p><b>Waiting.</b> A blocking call waits inside the actor. The client waits for the answer in
 * short slices so that closing the handle or interrupting the caller ends the wait at once: the
 * client then cancels the actor-side wait, and puts back any item the actor had already handed
 * over, so nothing is lost. It cancels it as well when the answer is late, because every wait
 * thread of the actor is busy and the call still waits for one: the actor says whether the call
 * had started, and one that had not will take and add nothing, so the client returns at its
 * deadline instead of when a thread frees. Long waits are split into actor calls of at most
 * {@link #MAX_ACTOR_WAIT_MILLIS}.
 *
 * <p><b>Prefetch.</b> With option {@code prefetch=N} a get takes up to N items in one call and
 * hands out the rest from this handle, one by one, until they are gone; {@link #close()} puts
 * back what it did not hand out. Items held by a handle are taken as far as the actor is concerned
 * (other consumers do not see them, a higher-priority item that arrives later comes after them);
 * {@link #size()} counts them for this handle. The gets of a prefetching handle are serialized.
 *
 * <p>Thread-safe: pipelined sends are serialized by one lock, prefetching gets by another;
 * everything else is independent.
 *
 * @param <T> the item type
 */
final class RayStore<T> implements QueueStore<T> {
    /** The longest wait one actor call makes; longer waits are several calls. */
    static final long MAX_ACTOR_WAIT_MILLIS = 30_000;
    /** How often a waiting client checks for close and interruption. */
    private static final long SLICE_MILLIS = 20;
    private static final AtomicLong TOKENS = new AtomicLong(ThreadLocalRandom.current().nextLong() | 1L);
    /** The most items a handle holds back for one coalesced send. */
    static final int MAX_PENDING_ITEMS = 1024;
    /** The most payload bytes a handle holds back for one coalesced send. */
    static final long MAX_PENDING_BYTES = 1 << 20;
    /** How long held-back items wait at most for a put or another operation to send them. */
    static final long LINGER_MICROS = 1000;
    /** The handles of this process that hold items back, by queue id; see {@link #flushQueue}. */
    private static final ConcurrentHashMap<Long, Set<RayStore<?>>> HOLDING = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService LINGER = linger();

    private final QueueDescriptor descriptor;
    private final Codec<T> codec;
    private final RayQueueOptions options;
    private final ActorHandle<QueueActor> actor;
    private final long queue;
    /** {@link #queue}, boxed once, for {@link #HOLDING}. */
    private final Long key;
    private final int capacity;
    private volatile boolean closed;

    // Pipelined puts, guarded by sendLock.
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ArrayDeque<Sent> unanswered = new ArrayDeque<>();
    private int unansweredItems;
    /** Room the actor reported last, minus items sent or held back since; below 1 stops pipelining. */
    private long credit;
    /** Items held back for the next coalesced send, in call order. */
    private final List<byte[]> pendingPayloads = new ArrayList<>();
    private int[] pendingPriorities = new int[16];
    private long pendingBytes;
    /** How many items are held back; written under sendLock, read without it to skip the flush. */
    private volatile int pendingItems;
    private boolean lingerScheduled;
    /** A coalesced send the linger thread could not make, for the next put or close() to report. */
    private RuntimeException lingerFailure;

    // Prefetched items (option prefetch), guarded by takeLock.
    private final ReentrantLock takeLock = new ReentrantLock();
    private final ArrayDeque<Taken> prefetched = new ArrayDeque<>();
    private volatile int prefetchedCount;
    private volatile long prefetchedBytes;

    /** An item taken from the actor and not yet handed out. */
    private record Taken(byte[] bytes, int offset, int length, int priority) {
    }

    /** A pipelined call not yet answered, and how many items it carries. */
    private record Sent(ObjectRef<Long> answer, int items) {
    }

    RayStore(QueueDescriptor descriptor, Codec<T> codec, RayQueueOptions options, ActorHandle<QueueActor> actor,
            long queue, int capacity, long room) {
        this.descriptor = descriptor;
        this.codec = codec;
        this.options = options;
        this.actor = actor;
        this.queue = queue;
        this.key = queue;
        this.capacity = capacity;
        this.credit = room;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    // ---- puts

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        checkOpen();
        byte[] payload = encode(item);
        if (timeoutNanos == Deadline.FOREVER && pipelined(List.of(payload), new int[] {priority})) {
            return true;
        }
        if (offerNow(payload, priority, firstTry(timeoutNanos))) {
            return true;
        }
        if (timeoutNanos == 0) {
            return false;
        }
        return added(timeoutNanos, (waitMillis, token, flags) -> actor.task(QueueActor::offer,
                Requests.offer(queue, payload, priority, waitMillis, token, flags))
                .setConcurrencyGroup(QueueActor.PUTTERS).remote());
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos)
            throws InterruptedException {
        checkOpen();
        List<byte[]> payloads = encodeBatch(items);
        if (timeoutNanos == Deadline.FOREVER && pipelined(payloads, priorities)) {
            return true;
        }
        if (offerAllNow(payloads, priorities, firstTry(timeoutNanos))) {
            return true;
        }
        if (timeoutNanos == 0) {
            return false;
        }
        return added(timeoutNanos, (waitMillis, token, flags) -> actor.task(QueueActor::offerAll,
                Requests.offerAll(queue, payloads, priorities, waitMillis, token, flags))
                .setConcurrencyGroup(QueueActor.PUTTERS).remote());
    }

    /**
     * The first try of an asynchronous put ({@code QueueStore.tryOfferUncounted}): adds the item if
     * there is room now; a refusal is not counted, because the put goes on to wait for room.
     *
     * @param item the item
     * @param priority 0–255
     * @return true if added
     */
    @Override
    public boolean tryOfferUncounted(T item, int priority) {
        checkOpen();
        return offerNow(encode(item), priority, 0);
    }

    /**
     * The first try of an asynchronous batch put ({@code QueueStore.tryOfferAllUncounted}): adds
     * every item if there is room for all now; a refusal is not counted.
     *
     * @param items the items
     * @param priorities one priority per item
     * @return true if all were added, false if none was
     */
    @Override
    public boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) {
        checkOpen();
        return offerAllNow(encodeBatch(items), priorities, 0);
    }

    /** One non-waiting offer call, after what this process holds back for the queue. */
    private boolean offerNow(byte[] payload, int priority, int flags) {
        flushQueue();
        return answered(call(actor.task(QueueActor::offer, Requests.offer(queue, payload, priority, 0L, 0L, flags))
                .remote()));
    }

    /** One non-waiting offerAll call, after what this process holds back for the queue. */
    private boolean offerAllNow(List<byte[]> payloads, int[] priorities, int flags) {
        flushQueue();
        return answered(call(actor.task(QueueActor::offerAll,
                Requests.offerAll(queue, payloads, priorities, 0L, 0L, flags)).remote()));
    }

    /** The flags of a put's non-waiting first call: its last try when the put may not wait. */
    private static int firstTry(long timeoutNanos) {
        return timeoutNanos == 0 ? Requests.LAST_TRY : 0;
    }

    /**
     * The flags of one waiting call of an operation: {@link Requests#LAST_TRY} when the deadline
     * passes within its wait, {@link Requests#CONTINUED} when an earlier call of it waited.
     */
    private static int waitFlags(long deadline, long waitMillis, boolean continued) {
        int flags = continued ? Requests.CONTINUED : 0;
        if (Deadline.remaining(deadline) <= TimeUnit.MILLISECONDS.toNanos(waitMillis)) {
            flags |= Requests.LAST_TRY;
        }
        return flags;
    }

    /**
     * Sends a put without waiting for its answer, or holds it back for the next coalesced send, if
     * the handle knows there is room for it.
     *
     * @return true if sent or held back; false if the caller must put it with a call that waits
     * @throws InterruptedException if the caller was interrupted before anything was sent
     */
    private boolean pipelined(List<byte[]> payloads, int[] priorities) throws InterruptedException {
        if (options.pipeline() == 0) {
            return false;
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before a put on queue " + descriptor.qualifiedName());
        }
        flushOthers();
        int n = payloads.size();
        long bytes = 0;
        for (byte[] p : payloads) {
            bytes += p.length;
        }
        sendLock.lock();
        try {
            if (lingerFailure != null) {
                RuntimeException e = lingerFailure;
                lingerFailure = null;
                throw e;
            }
            for (;;) {
                if (credit < n) {
                    flush();
                    settle();
                    if (credit < n) {
                        return false;
                    }
                }
                boolean fits = pendingItems + n <= MAX_PENDING_ITEMS && pendingBytes + bytes <= MAX_PENDING_BYTES;
                if (unanswered.size() > options.pipeline()) {
                    // A flush that does not wait sent one call beyond the window.
                    answerOldest();
                } else if (unanswered.size() < options.pipeline()) {
                    if (pendingItems == 0) {
                        send(payloads, priorities);
                        break;
                    }
                    if (fits) {
                        // What is held back goes out with this put, as one call.
                        hold(payloads, priorities, bytes);
                        flush();
                        break;
                    }
                    flush();
                } else if (fits) {
                    hold(payloads, priorities, bytes);
                    break;
                } else {
                    // Window full and no room to hold this put back: wait for the oldest answer, as
                    // without coalescing.
                    answerOldest();
                }
            }
            credit -= n;
            return true;
        } finally {
            sendLock.unlock();
        }
    }

    /** Sends items as one pipelined call, without waiting. Caller holds sendLock. */
    private void send(List<byte[]> payloads, int[] priorities) {
        ObjectRef<Long> answer = actor.task(QueueActor::send, Requests.send(queue, payloads, priorities)).remote();
        unanswered.addLast(new Sent(answer, payloads.size()));
        unansweredItems += payloads.size();
    }

    /**
     * Appends items to the pending list, due to be sent within the linger. Copies them: the caller
     * may reuse its arrays once put returns (the bytes codec encodes an array as itself). Caller
     * holds sendLock.
     */
    private void hold(List<byte[]> payloads, int[] priorities, long bytes) {
        int at = pendingItems;
        int n = payloads.size();
        if (at + n > pendingPriorities.length) {
            pendingPriorities = Arrays.copyOf(pendingPriorities, Math.max(pendingPriorities.length * 2, at + n));
        }
        System.arraycopy(priorities, 0, pendingPriorities, at, n);
        for (byte[] p : payloads) {
            pendingPayloads.add(p.clone());
        }
        pendingBytes += bytes;
        if (at == 0) {
            HOLDING.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(this);
        }
        pendingItems = at + n;
        if (!lingerScheduled) {
            lingerScheduled = true;
            LINGER.schedule(this::lingered, LINGER_MICROS, TimeUnit.MICROSECONDS);
        }
    }

    /**
     * Sends the pending list as one call, without waiting; the window may hold one call more than
     * {@code pipeline} after it. Caller holds sendLock.
     */
    private void flush() {
        int n = pendingItems;
        if (n == 0) {
            return;
        }
        send(pendingPayloads, n == pendingPriorities.length ? pendingPriorities : Arrays.copyOf(pendingPriorities, n));
        dropPending();
    }

    /** Forgets the pending list (sent, or dropped with the queue). Caller holds sendLock. */
    private void dropPending() {
        if (pendingItems == 0) {
            return;
        }
        pendingPayloads.clear();
        pendingBytes = 0;
        pendingItems = 0;
        HOLDING.computeIfPresent(key, (k, handles) -> {
            handles.remove(this);
            return handles.isEmpty() ? null : handles;
        });
    }

    /** Sends this handle's pending list, if it has one. */
    private void flushOwn() {
        if (pendingItems == 0) {
            return;
        }
        sendLock.lock();
        try {
            flush();
        } finally {
            sendLock.unlock();
        }
    }

    /** Sends what other handles of this process on the same queue hold back (before a put). */
    private void flushOthers() {
        Set<RayStore<?>> holding = HOLDING.get(key);
        if (holding != null) {
            for (RayStore<?> h : holding) {
                if (h != this) {
                    h.flushOwn();
                }
            }
        }
    }

    /**
     * Sends what any handle of this process on the same queue holds back, so that the caller's next
     * call is applied after it (before every operation but a pipelined put).
     */
    private void flushQueue() {
        flushOwn();
        flushOthers();
    }

    /** The linger ran out: send what is held back, unless a producer holds the lock (then try again). */
    private void lingered() {
        if (!sendLock.tryLock()) {
            LINGER.schedule(this::lingered, LINGER_MICROS, TimeUnit.MICROSECONDS);
            return;
        }
        try {
            lingerScheduled = false;
            flush();
        } catch (RuntimeException e) {
            // Ray refused the call (shutting down): the items are lost; report it like a failed put.
            dropPending();
            lingerFailure = e;
        } finally {
            sendLock.unlock();
        }
    }

    private static ScheduledExecutorService linger() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "conduit-ray-linger");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** Waits for every unanswered pipelined call. Caller holds sendLock. */
    private void settle() {
        while (!unanswered.isEmpty()) {
            answerOldest();
        }
    }

    /** Waits for the oldest unanswered pipelined call and learns the room from it. Caller holds sendLock. */
    private void answerOldest() {
        Sent s = unanswered.pollFirst();
        unansweredItems -= s.items();
        long room;
        try {
            room = call(s.answer());
        } catch (QueueException e) {
            // The actor or queue is gone: the calls after this one fail alike.
            unanswered.clear();
            unansweredItems = 0;
            credit = 0;
            throw e;
        }
        // Negative: parked behind a full queue. Stop pipelining until the actor reports room again.
        credit = room < 0 ? room : room - unansweredItems - pendingItems;
    }

    /** Notes the room a put's answer reports; true if the put added its items. */
    private boolean answered(long room) {
        if (room < 0) {
            return false;
        }
        sendLock.lock();
        try {
            credit = room - unansweredItems - pendingItems;
        } finally {
            sendLock.unlock();
        }
        return true;
    }

    private boolean added(long timeoutNanos, WaitingCall<Long> send) throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        for (boolean continued = false;; continued = true) {
            long waitMillis = actorWaitMillis(deadline);
            long token = TOKENS.getAndAdd(2);
            int flags = waitFlags(deadline, waitMillis, continued);
            Outcome<Long> o = await(send.send(waitMillis, token, flags), waitMillis, token,
                    (flags & Requests.LAST_TRY) != 0);
            long room = o.valueOr(-1L);
            if (room >= 0) {
                answered(room);
                if (o.abandoned() == Abandon.INTERRUPTED) {
                    // The item went in before the interrupt took effect: report success, keep the flag.
                    Thread.currentThread().interrupt();
                }
                return true;
            }
            o.throwIfAbandoned(this);
            if (Deadline.remaining(deadline) == 0) {
                return false;
            }
        }
    }

    // ---- gets

    @Override
    public T poll(long timeoutNanos) throws InterruptedException {
        List<T> one = new ArrayList<>(1);
        return drainTo(one, 1, timeoutNanos) == 0 ? null : one.get(0);
    }

    @Override
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        checkOpen();
        if (timeoutNanos > 0 && Thread.interrupted()) {
            throw new InterruptedException("interrupted before a get on queue " + descriptor.qualifiedName());
        }
        flushQueue();
        if (options.prefetch() == 0) {
            return deliver(fetch(maxItems, timeoutNanos), sink);
        }
        takeLock.lockInterruptibly();
        try {
            // close() may have given back what this handle held while this get waited for the lock:
            // items taken now would stay in a closed handle.
            checkOpen();
            if (prefetched.isEmpty()) {
                hold(fetch(Math.max(maxItems, options.prefetch()), timeoutNanos));
            } else if (prefetched.size() < maxItems) {
                // A batch larger than what the handle holds also gets what the queue has now, behind
                // the held items (they were ahead of it in the queue).
                hold(callPoll(actor.task(QueueActor::poll,
                        Requests.poll(queue, Math.max(maxItems - prefetched.size(), options.prefetch()), 0L, 0L))
                        .remote()));
            }
            List<T> decoded = new ArrayList<>(Math.min(maxItems, prefetched.size()));
            while (decoded.size() < maxItems && !prefetched.isEmpty()) {
                Taken t = prefetched.pollFirst();
                try {
                    decoded.add(codec.decode(t.bytes(), t.offset(), t.length()));
                } catch (RuntimeException e) {
                    if (decoded.isEmpty()) {
                        throw e;
                    }
                    // Hand out what decoded; the item that did not stays first, for the next get to report.
                    prefetched.addFirst(t);
                    break;
                }
            }
            sink.addAll(decoded);
            return decoded.size();
        } finally {
            noteHeld();
            takeLock.unlock();
        }
    }

    /** Keeps taken items in the handle, behind those it holds. Caller holds takeLock. */
    private void hold(byte[] frames) {
        Frames.read(frames, (priority, bytes, offset, length) -> prefetched.addLast(new Taken(bytes, offset, length, priority)));
        noteHeld();
    }

    /** Publishes how many items and bytes the handle holds, for size() and metrics(). Caller holds takeLock. */
    private void noteHeld() {
        long bytes = 0;
        for (Taken t : prefetched) {
            bytes += t.length();
        }
        prefetchedBytes = bytes;
        prefetchedCount = prefetched.size();
    }

    /**
     * Decodes taken items into the sink. An item the codec refuses (corrupt bytes, a class the
     * allow-list does not name) is not lost silently and takes no other item with it: the items
     * before it are delivered and it goes back to the head with every item after it, so the next get
     * reports it; if it is the first, the get throws the codec's exception, the refused item is
     * consumed, and the items after it go back to the head.
     *
     * @return the number of items delivered
     * @throws RuntimeException what the codec threw for the first item
     */
    private int deliver(byte[] frames, Collection<? super T> sink) {
        List<Taken> taken = new ArrayList<>(Frames.count(frames));
        Frames.read(frames, (priority, bytes, offset, length) -> taken.add(new Taken(bytes, offset, length, priority)));
        List<T> decoded = new ArrayList<>(taken.size());
        for (Taken t : taken) {
            try {
                decoded.add(codec.decode(t.bytes(), t.offset(), t.length()));
            } catch (RuntimeException e) {
                int bad = decoded.size();
                List<Taken> back = taken.subList(bad == 0 ? 1 : bad, taken.size());
                if (!back.isEmpty()) {
                    try {
                        call(actor.task(QueueActor::returnItems, Requests.returnItems(queue, framesOf(back))).remote());
                    } catch (QueueException failed) {
                        // The give-back reaches the actor late, or the actor or queue is gone (the next
                        // call says so): either way the items decoded are this caller's to keep.
                        e.addSuppressed(failed);
                    }
                }
                if (bad == 0) {
                    throw e;
                }
                break;
            }
        }
        sink.addAll(decoded);
        return decoded.size();
    }

    private static byte[] framesOf(Collection<Taken> items) {
        List<byte[]> payloads = new ArrayList<>(items.size());
        int[] priorities = new int[items.size()];
        for (Taken t : items) {
            priorities[payloads.size()] = t.priority();
            payloads.add(Arrays.copyOfRange(t.bytes(), t.offset(), t.offset() + t.length()));
        }
        return Frames.write(payloads, priorities);
    }

    /** Takes up to {@code maxItems}: at once if there are any, else waiting in the actor. */
    private byte[] fetch(int maxItems, long timeoutNanos) throws InterruptedException {
        byte[] frames = callPoll(actor.task(QueueActor::poll, Requests.poll(queue, maxItems, 0L, 0L)).remote());
        if (Frames.count(frames) == 0 && timeoutNanos > 0) {
            frames = take(maxItems, timeoutNanos);
        }
        return frames;
    }

    /** Puts the items this handle prefetched and did not hand out back at the head of the queue. */
    private void returnPrefetched() {
        takeLock.lock();
        try {
            if (prefetched.isEmpty()) {
                return;
            }
            byte[] frames = framesOf(prefetched);
            // Given back even if the call fails: it then either reaches the actor late (the items are
            // back in the queue) or the actor or queue is gone (and the items with it); handing them
            // out afterwards would deliver them twice.
            prefetched.clear();
            noteHeld();
            call(actor.task(QueueActor::returnItems, Requests.returnItems(queue, frames)).remote());
        } finally {
            takeLock.unlock();
        }
    }

    private byte[] take(int maxItems, long timeoutNanos) throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        for (boolean continued = false;; continued = true) {
            long waitMillis = actorWaitMillis(deadline);
            long token = TOKENS.getAndAdd(2);
            ObjectRef<byte[]> answer = actor.task(QueueActor::poll,
                    Requests.poll(queue, maxItems, waitMillis, token, waitFlags(deadline, waitMillis, continued)))
                    .setConcurrencyGroup(QueueActor.GETTERS).remote();
            Outcome<byte[]> o;
            try {
                o = await(answer, waitMillis, token, false);
            } catch (QueueException e) {
                reclaimIfLate(answer, e);
                throw e;
            }
            byte[] frames = o.valueOr(Frames.EMPTY);
            if (o.ended() && Frames.count(frames) > 0) {
                // Handed over after our cancel was sent: give the items back rather than lose them.
                call(actor.task(QueueActor::returnItems, Requests.returnItems(queue, frames)).remote());
            }
            o.throwIfAbandoned(this);
            if (Frames.count(frames) > 0 || Deadline.remaining(deadline) == 0) {
                return frames;
            }
        }
    }

    @Override
    public T peek() {
        checkOpen();
        if (prefetchedCount > 0) {
            takeLock.lock();
            try {
                Taken head = prefetched.peekFirst();
                if (head != null) {
                    return codec.decode(head.bytes(), head.offset(), head.length());
                }
            } finally {
                takeLock.unlock();
            }
        }
        List<T> one = new ArrayList<>(1);
        flushQueue();
        Frames.read(call(actor.task(QueueActor::peek, queue).remote()),
                (priority, bytes, offset, length) -> one.add(codec.decode(bytes, offset, length)));
        return one.isEmpty() ? null : one.get(0);
    }

    @Override
    public int size() {
        checkOpen();
        flushQueue();
        return call(actor.task(QueueActor::size, queue).remote()) + prefetchedCount;
    }

    @Override
    public int clear() {
        checkOpen();
        flushQueue();
        returnPrefetched();
        return call(actor.task(QueueActor::clear, queue).remote());
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        checkOpen();
        flushQueue();
        if (prefetchedCount > 0 || call(actor.task(QueueActor::awaitNotEmpty, Requests.await(queue, 0L, 0L)).remote())) {
            return true;
        }
        if (timeoutNanos == 0) {
            return false;
        }
        long deadline = Deadline.deadline(timeoutNanos);
        for (boolean continued = false;; continued = true) {
            long waitMillis = actorWaitMillis(deadline);
            long token = TOKENS.getAndAdd(2);
            Outcome<Boolean> o = await(actor.task(QueueActor::awaitNotEmpty,
                    Requests.await(queue, waitMillis, token, waitFlags(deadline, waitMillis, continued)))
                    .setConcurrencyGroup(QueueActor.GETTERS).remote(), waitMillis, token, false);
            o.throwIfAbandoned(this);
            boolean ready = o.valueOr(false);
            if (ready || Deadline.remaining(deadline) == 0) {
                return ready;
            }
        }
    }

    @Override
    public QueueMetrics metrics() {
        checkOpen();
        flushQueue();
        long[] s = call(actor.task(QueueActor::stats, queue).remote());
        // Items this handle prefetched and has not handed out are still queued, as its size() says.
        int held = prefetchedCount;
        long heldBytes = prefetchedBytes;
        return new QueueMetrics((int) s[0] + held, (int) s[1], s[2], s[3] - held, s[4], 0, s[5], s[6],
                s[7] - heldBytes, options.maxItemBytes(), s[8]);
    }

    @Override
    public Set<Capability> capabilities() {
        return RayBackend.CAPABILITIES;
    }

    /**
     * Closes the handle: waiting calls end with {@link QueueClosedException}, the handle sends the
     * items it holds back, waits for the answers to its pipelined puts and puts back the items it
     * prefetched and did not hand out.
     *
     * @throws QueueException if a pipelined put failed, or prefetched items could not be put back
     *     (the actor or queue is gone: so are the items)
     */
    @Override
    public void close() {
        closed = true;
        try {
            sendLock.lock();
            try {
                flush();
                settle();
                if (lingerFailure != null) {
                    RuntimeException e = lingerFailure;
                    lingerFailure = null;
                    throw e;
                }
            } finally {
                sendLock.unlock();
            }
        } finally {
            returnPrefetched();
        }
    }

    @Override
    public void destroy() {
        closed = true;
        sendLock.lock();
        try {
            // Held-back items would be dropped with the queue: not worth a call.
            dropPending();
            unanswered.clear();
            unansweredItems = 0;
        } finally {
            sendLock.unlock();
        }
        takeLock.lock();
        try {
            prefetched.clear();
            noteHeld();
        } finally {
            takeLock.unlock();
        }
        if (options.shared()) {
            call(actor.task(QueueActor::destroy, queue).remote());
        } else {
            RayQueues.kill(actor, options);
        }
    }

    // ---- calls

    private void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private QueueClosedException closedException() {
        return new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
    }

    private byte[] encode(T item) {
        byte[] b = codec.encode(item);
        if (b.length > options.maxItemBytes()) {
            throw new ItemTooLargeException("an item of " + b.length + " encoded bytes is over the limit of queue "
                    + descriptor.qualifiedName() + " (option maxItemBytes=" + options.maxItemBytes() + ")");
        }
        return b;
    }

    /**
     * Encodes a batch, which goes to the actor whole in one call.
     *
     * @throws IllegalArgumentException if its frames are over what one call carries; nothing was put
     */
    private List<byte[]> encodeBatch(List<? extends T> items) {
        List<byte[]> payloads = new ArrayList<>(items.size());
        for (T item : items) {
            payloads.add(encode(item));
        }
        long length = Frames.length(payloads);
        if (length > Frames.MAX_LENGTH) {
            throw new IllegalArgumentException("a batch of " + items.size() + " items is " + length
                    + " bytes encoded, over the limit of " + Frames.MAX_LENGTH + " bytes one call to queue "
                    + descriptor.qualifiedName() + " carries; nothing was put: put it in smaller batches");
        }
        return payloads;
    }

    private <R> R call(ObjectRef<R> ref) {
        return RayQueues.get(ref, options.callTimeoutMillis(), descriptor);
    }

    /** {@link #call} for a poll: if the answer does not come in time, its items are put back when it does. */
    private byte[] callPoll(ObjectRef<byte[]> ref) {
        try {
            return call(ref);
        } catch (QueueException e) {
            reclaimIfLate(ref, e);
            throw e;
        }
    }

    /** Hands a poll's answer to {@link LatePolls} if the caller gave up waiting for it. */
    private void reclaimIfLate(ObjectRef<byte[]> answer, QueueException e) {
        if (e.getCause() instanceof RayTimeoutException) {
            LatePolls.add(answer, actor, queue);
        }
    }

    private static long actorWaitMillis(long deadline) {
        long left = Deadline.remaining(deadline);
        if (left >= TimeUnit.MILLISECONDS.toNanos(MAX_ACTOR_WAIT_MILLIS)) {
            return MAX_ACTOR_WAIT_MILLIS;
        }
        // Round up, so that a sub-millisecond timeout still waits rather than becoming "do not wait".
        return Math.max(1, (left + 999_999) / 1_000_000);
    }

    /**
     * Waits for the answer of a call that may wait in the actor. On close or interrupt, or when the
     * answer is late (the call is still queued for one of the actor's wait threads, all busy), it
     * cancels the actor-side wait: if the call had not started, it never takes or adds anything and
     * the outcome has no value; otherwise it collects the answer, which the caller must reconcile.
     *
     * @param lastTryOfPut whether the call is a put's last try (a late cancel counts as its refusal)
     */
    private <R> Outcome<R> await(ObjectRef<R> ref, long waitMillis, long token, boolean lastTryOfPut) {
        long giveUp = Deadline.deadline(TimeUnit.MILLISECONDS.toNanos(waitMillis + options.callTimeoutMillis()));
        // A call that started at once has answered by then.
        long due = Deadline.deadline(TimeUnit.MILLISECONDS.toNanos(waitMillis + SLICE_MILLIS));
        Abandon abandon = Abandon.NONE;
        for (;;) {
            if (abandon == Abandon.NONE) {
                if (Thread.interrupted()) {
                    abandon = Abandon.INTERRUPTED;
                } else if (closed) {
                    abandon = Abandon.CLOSED;
                } else if (Deadline.remaining(due) == 0) {
                    abandon = Abandon.LATE;
                }
                if (abandon != Abandon.NONE && !cancel(token, abandon == Abandon.LATE && lastTryOfPut, abandon)) {
                    return new Outcome<>(null, abandon);
                }
            }
            try {
                return new Outcome<>(Ray.get(ref, SLICE_MILLIS), abandon);
            } catch (RayTimeoutException e) {
                if (Deadline.remaining(giveUp) == 0) {
                    restoreInterrupt(abandon);
                    throw RayQueues.translate(e, descriptor, waitMillis + options.callTimeoutMillis());
                }
            } catch (RayException e) {
                restoreInterrupt(abandon);
                throw RayQueues.translate(e, descriptor, waitMillis);
            }
        }
    }

    /**
     * Cancels the wait of the call carrying {@code token}.
     *
     * @return true if the call started (its answer is coming), false if it will take and add nothing
     * @throws QueueClosedException if the queue was destroyed
     */
    private boolean cancel(long token, boolean refusal, Abandon abandon) {
        int state;
        try {
            state = call(actor.task(QueueActor::cancel, queue, token, refusal).remote());
        } catch (QueueException e) {
            restoreInterrupt(abandon);
            throw e;
        }
        if (state == QueueActor.QUEUE_GONE) {
            restoreInterrupt(abandon);
            throw new QueueClosedException("queue " + descriptor.qualifiedName() + " is gone: it was destroyed");
        }
        return state == ActorQueue.CANCELLED_AFTER_START;
    }

    private static void restoreInterrupt(Abandon abandon) {
        if (abandon == Abandon.INTERRUPTED) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Why a client cancelled a call before the actor answered; LATE: the answer did not come when the
     * actor's wait should have ended (the call waited for a wait thread), so the wait is over.
     */
    private enum Abandon {
        NONE, INTERRUPTED, CLOSED, LATE
    }

    /**
     * An actor's answer, or none (null) when the call was cancelled before it started, and whether
     * the caller cancelled it meanwhile.
     */
    private record Outcome<R>(R value, Abandon abandoned) {
        R valueOr(R none) {
            return value == null ? none : value;
        }

        /** @return whether the operation ends with an exception (interrupt, close), not with the answer */
        boolean ended() {
            return abandoned == Abandon.INTERRUPTED || abandoned == Abandon.CLOSED;
        }

        void throwIfAbandoned(RayStore<?> store) throws InterruptedException {
            if (abandoned == Abandon.INTERRUPTED) {
                throw new InterruptedException("interrupted while waiting on queue " + store.descriptor.qualifiedName());
            }
            if (abandoned == Abandon.CLOSED) {
                throw store.closedException();
            }
        }
    }

    /** Sends one waiting call. */
    @FunctionalInterface
    private interface WaitingCall<R> {
        ObjectRef<R> send(long waitMillis, long token, int flags);
    }
}
