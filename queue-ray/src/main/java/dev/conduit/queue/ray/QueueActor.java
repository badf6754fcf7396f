package dev.conduit.queue.ray;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Ray actor that holds queues ({@link ActorQueue}): by default the one queue its actor is named
 * after, or, for descriptors with option {@code host}, every queue placed on that host. Clients
 * reach it through {@link RayStore}; it runs in a Ray worker JVM and needs nothing but the JDK, so
 * no user class is ever loaded by it.
 *
 * <p>A client {@linkplain #open opens} a queue by name once and then addresses it by the id it got;
 * after {@link #destroy} that id names nothing, so old handles learn that their queue is gone even
 * when a new queue of the same name exists. The frequent calls take one {@code byte[]} laid out by
 * {@link Requests}.
 *
 * <p>Calls that never wait run in the default group, one at a time, in the order each caller sent
 * them; calls that wait run in {@value #GETTERS} (consumers) or {@value #PUTTERS} (producers), so
 * neither kind can take every thread from the other. Methods are public because Ray invokes them;
 * they are not an API. Thread-safe.
 */
public final class QueueActor {
    /** The concurrency group of consumer calls that may wait. */
    static final String GETTERS = "getters";
    /** The concurrency group of producer calls that may wait. */
    static final String PUTTERS = "putters";
    /** {@link #cancel}: the queue was destroyed; its calls take and add nothing. */
    static final int QUEUE_GONE = -1;

    private final Map<String, ActorQueue> byName = new HashMap<>();
    private final Map<Long, ActorQueue> byId = new ConcurrentHashMap<>();
    private long lastId = ThreadLocalRandom.current().nextLong(1L << 40);

    /** Made by Ray, once per actor start (a restarted actor starts empty). */
    public QueueActor() {
    }

    /**
     * Finds the queue of that name, or creates it.
     *
     * @param name the queue's name in this actor
     * @param capacity its capacity if it is created
     * @return its id, its capacity, and the room it has now
     */
    public synchronized long[] open(String name, int capacity) {
        ActorQueue q = byName.get(name);
        if (q == null) {
            q = new ActorQueue(name, ++lastId, capacity);
            byName.put(name, q);
            byId.put(q.id(), q);
        }
        return new long[] {q.id(), q.capacity(), Math.max(0, q.capacity() - q.size())};
    }

    /**
     * Removes a queue: its items are dropped, its waiting calls end, and its id names nothing.
     *
     * @param queue the queue's id
     * @return 1 if it existed, 0 if it was gone already
     */
    public synchronized int destroy(long queue) {
        ActorQueue q = byId.remove(queue);
        if (q == null) {
            return 0;
        }
        byName.remove(q.name());
        q.destroy();
        return 1;
    }

    /**
     * Adds one item, waiting for room as the request says.
     *
     * @param request {@link Requests#offer}
     * @return the room left, or -1 if not added
     */
    public long offer(byte[] request) {
        return queue(request).offer(new ActorQueue.Slice(request, Requests.OFFER_PAYLOAD_OFFSET,
                request.length - Requests.OFFER_PAYLOAD_OFFSET), Requests.priority(request),
                Requests.waitMillis(request), Requests.token(request), Requests.flags(request));
    }

    /**
     * Adds a batch atomically, waiting for room for all of it as the request says.
     *
     * @param request {@link Requests#offerAll}
     * @return the room left, or -1 if nothing was added
     */
    public long offerAll(byte[] request) {
        return queue(request).offerAll(ActorQueue.Batch.of(request, Requests.WAITING_HEADER_LENGTH),
                Requests.waitMillis(request), Requests.token(request), Requests.flags(request));
    }

    /**
     * A pipelined put: adds the batch, or parks it until there is room; never waits.
     *
     * @param request {@link Requests#send}
     * @return the room left, or minus the items parked when this batch was parked
     */
    public long send(byte[] request) {
        return queue(request).send(ActorQueue.Batch.of(request, Requests.QUEUE_FRAMES_OFFSET));
    }

    /**
     * Takes up to the request's maximum of items, waiting for the first as it says.
     *
     * @param request {@link Requests#poll}
     * @return the items in {@link Frames} layout
     */
    public byte[] poll(byte[] request) {
        return queue(request).poll(Requests.maxItems(request), Requests.waitMillis(request), Requests.token(request),
                Requests.flags(request));
    }

    /**
     * Puts back items a client took but could not deliver.
     *
     * @param request {@link Requests#returnItems}
     * @return how many were put back
     */
    public int returnItems(byte[] request) {
        return queue(request).returnItems(ActorQueue.Batch.of(request, Requests.QUEUE_FRAMES_OFFSET));
    }

    /**
     * Waits until the queue holds an item, as the request says.
     *
     * @param request {@link Requests#await}
     * @return true if it holds one
     */
    public boolean awaitNotEmpty(byte[] request) {
        return queue(request).awaitNotEmpty(Requests.waitMillis(request), Requests.token(request),
                Requests.flags(request));
    }

    /**
     * Ends the wait of the call that carries {@code token}, now or when it starts.
     *
     * @param queue the queue's id
     * @param token the token of a waiting call
     * @param refusal whether the client gives up a put's last try because its time ran out (the
     *     cancel counts as the put's refusal)
     * @return {@link ActorQueue#CANCELLED_BEFORE_START} (the call will take and add nothing),
     *     {@link ActorQueue#CANCELLED_AFTER_START} (its answer is on its way), or {@link #QUEUE_GONE}
     */
    public int cancel(long queue, long token, boolean refusal) {
        ActorQueue q = byId.get(queue);
        return q == null ? QUEUE_GONE : q.cancel(token, refusal);
    }

    /**
     * @param queue the queue's id
     * @return the head in {@link Frames} layout (one item, or none when empty), not removed
     */
    public byte[] peek(long queue) {
        return queue(queue).peek();
    }

    /**
     * @param queue the queue's id
     * @return the number of items held
     */
    public int size(long queue) {
        return queue(queue).size();
    }

    /**
     * @param queue the queue's id
     * @return how many items were removed
     */
    public int clear(long queue) {
        return queue(queue).clear();
    }

    /**
     * The counters, in a fixed order read by {@link RayStore#metrics()}.
     *
     * @param queue the queue's id
     * @return size, capacity, puts, gets, rejected, waits, bytesIn, bytesOut, cleared
     */
    public long[] stats(long queue) {
        return queue(queue).stats();
    }

    /**
     * A call that does nothing (a liveness probe).
     *
     * @return 1
     */
    public int ping() {
        return 1;
    }

    private ActorQueue queue(byte[] request) {
        return queue(Requests.queue(request));
    }

    private ActorQueue queue(long id) {
        ActorQueue q = byId.get(id);
        if (q == null) {
            throw new QueueGoneException("queue #" + id);
        }
        return q;
    }
}
