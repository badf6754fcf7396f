package dev.conduit.queue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * A handle on a named queue: the one contract every Conduit backend keeps, from threads in one JVM
 * to a cluster.
 *
 * <p>Obtain one with {@link QueueDescriptor#open()}; the handle is lazy and creates nothing until
 * its first operation. Handles are thread-safe: many threads may put and get on one handle at
 * once. Closing a handle detaches it; {@link #destroy()} removes the queue itself.
 *
 * <p>Blocking calls declare {@link InterruptedException}, as {@link BlockingQueue} does; an
 * interrupted call has taken or added nothing. Timeouts are honoured within a few milliseconds.
 * Every other failure is an unchecked {@link QueueException}.
 *
 * <p>Priorities run from {@value #MIN_PRIORITY} to {@value #MAX_PRIORITY}, higher first, FIFO
 * among equals; the default is {@value #DEFAULT_PRIORITY}. Backends without
 * {@link Capability#PRIORITY} accept any valid priority and deliver in FIFO order.
 *
 * @param <T> the item type; items are never null
 */
public interface MessageQueue<T> extends AutoCloseable {

    /** The lowest priority. */
    int MIN_PRIORITY = 0;
    /** The highest priority. */
    int MAX_PRIORITY = 255;
    /** The priority of a put that names none. */
    int DEFAULT_PRIORITY = 128;

    /**
     * Adds an item, waiting while the queue is full (or as its backpressure policy says).
     *
     * @param item the item, not null
     * @throws InterruptedException if interrupted while waiting; nothing was added
     * @throws QueueFullException if the policy is REJECT and the queue is full
     * @throws NullPointerException if item is null
     * @throws ItemTooLargeException if the encoded item exceeds the queue's item size limit
     * @throws QueueClosedException if this handle is closed
     */
    void put(T item) throws InterruptedException;

    /**
     * Adds an item, waiting at most {@code timeout} for room.
     *
     * @param item the item, not null
     * @param timeout the longest wait; zero or negative means do not wait
     * @throws QueueFullException if there was no room in time
     * @throws InterruptedException if interrupted while waiting; nothing was added
     */
    void put(T item, Duration timeout) throws InterruptedException;

    /**
     * Adds an item with a priority, waiting while the queue is full.
     *
     * @param item the item, not null
     * @param priority 0 to 255, higher first
     * @throws IllegalArgumentException if priority is out of range
     * @throws InterruptedException if interrupted while waiting; nothing was added
     */
    void put(T item, int priority) throws InterruptedException;

    /**
     * Adds an item with a priority, waiting at most {@code timeout} for room.
     *
     * @param item the item, not null
     * @param priority 0 to 255, higher first
     * @param timeout the longest wait; zero or negative means do not wait
     * @throws QueueFullException if there was no room in time
     * @throws InterruptedException if interrupted while waiting; nothing was added
     */
    void put(T item, int priority, Duration timeout) throws InterruptedException;

    /**
     * Adds an item if there is room now.
     *
     * @param item the item, not null
     * @throws QueueFullException at once when the queue is full (and the policy does not drop)
     */
    void putNowait(T item);

    /**
     * Adds an item if there is room now.
     *
     * @param item the item, not null
     * @return true if added, false if the queue was full
     */
    boolean offer(T item);

    /**
     * Adds all items atomically: a consumer sees all of them, contiguous and in order, or none.
     * Waits while there is not room for all of them.
     *
     * @param items the items, none null; at most {@link #capacity()} of them
     * @throws IllegalArgumentException if there are more items than the capacity
     * @throws InterruptedException if interrupted while waiting; nothing was added
     */
    void putAll(List<? extends T> items) throws InterruptedException;

    /**
     * Adds all items atomically with one priority, waiting at most {@code timeout}.
     *
     * @param items the items, none null; at most {@link #capacity()} of them
     * @param priority 0 to 255
     * @param timeout the longest wait
     * @throws QueueFullException if there was no room for all of them in time; nothing was added
     * @throws InterruptedException if interrupted while waiting; nothing was added
     */
    void putAll(List<? extends T> items, int priority, Duration timeout) throws InterruptedException;

    /**
     * Removes and returns the head, waiting while the queue is empty.
     *
     * @return the item
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    T get() throws InterruptedException;

    /**
     * Removes and returns the head, waiting at most {@code timeout}.
     *
     * @param timeout the longest wait; zero or negative means do not wait
     * @return the item
     * @throws QueueEmptyException if no item arrived in time
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    T get(Duration timeout) throws InterruptedException;

    /**
     * Removes and returns the head if there is one now.
     *
     * @return the item
     * @throws QueueEmptyException at once when the queue is empty
     */
    T getNowait();

    /**
     * Removes and returns the head if there is one now.
     *
     * @return the item, or empty when the queue is empty
     */
    Optional<T> poll();

    /**
     * Waits up to {@code timeout} for the first item, then takes every item available at once, up
     * to {@code maxItems}.
     *
     * @param maxItems the most items to take, at least 1
     * @param timeout the longest wait for the first item
     * @return 1 to maxItems items in queue order, or an empty list on timeout
     * @throws InterruptedException if interrupted while waiting; nothing was taken
     */
    List<T> getBatch(int maxItems, Duration timeout) throws InterruptedException;

    /**
     * Returns the head without removing it.
     *
     * @return the head, or empty when the queue is empty
     */
    Optional<T> peek();

    /**
     * Starts a transaction: its puts are held back until {@link Transaction#commit()} and then
     * become visible at once, as {@link #putAll} does. Closing it without commit discards them.
     *
     * @return the transaction; use it from one thread
     */
    Transaction<T> beginTransaction();

    /**
     * Runs {@code body} in a transaction that commits when the body returns and discards its puts
     * when the body throws (the exception then propagates; a checked one wrapped in a
     * {@link java.util.concurrent.CompletionException}). A body may commit itself; if it throws
     * after that, its items stay put, and the wrapper's message says so.
     *
     * @param body what to put
     * @throws InterruptedException if interrupted while committing; nothing was added
     */
    void transaction(TransactionBody<T> body) throws InterruptedException;

    /**
     * Adds an item without blocking the caller. Completes at once when there is room; otherwise the
     * put waits on a shared background thread, like moodist's work handles.
     *
     * <p>{@code cancel} on the result withdraws a put still waiting for room and returns true: the
     * item was not and will not be added. It returns false, and the result says what the put did,
     * when the put was made first or can no longer be withdrawn (a remote backend's pipelined put).
     * Giving up with {@code completeExceptionally} (so {@code orTimeout}) withdraws the put in the
     * same way and returns false without taking effect when the put was made first; for a put that
     * can no longer be withdrawn it takes effect, and the item may still be added.
     *
     * <p>One handle's async puts ({@code putAsync} and {@code putAllAsync}) go in in call order:
     * once one waits for room, later ones wait behind it, and withdrawing one leaves the others in
     * order; the futures of those that go in complete in that order too. A synchronous
     * {@code put} is not ordered after an async put still waiting; join its future first.
     *
     * @param item the item, not null
     * @return completes when the item is queued, or exceptionally with the put's exception
     */
    CompletableFuture<Void> putAsync(T item);

    /**
     * Adds all items atomically without blocking the caller, as {@link #putAll(List)} does: a
     * consumer sees all of them, contiguous and in order, or none. For many batches, this is the
     * throughput form: a backend whose puts are remote sends the batch without waiting for the
     * previous one's answer (see its documentation for ordering). The default implementation
     * simply calls {@link #putAll(List)} and returns a completed future. {@code cancel} on the
     * result behaves as for {@link #putAsync}.
     *
     * @param items the items, none null; at most {@link #capacity()} of them
     * @return completes when all items are queued, or exceptionally with the put's exception
     *     (nothing was added)
     * @throws NullPointerException if an item is null; nothing was added
     * @throws IllegalArgumentException if there are more items than the capacity; nothing was added
     */
    default CompletableFuture<Void> putAllAsync(List<? extends T> items) {
        List<T> copy = List.copyOf(items);
        if (copy.size() > capacity()) {
            throw new IllegalArgumentException("a batch of " + copy.size() + " items can never fit a queue of "
                    + "capacity " + capacity());
        }
        try {
            putAll(copy);
            return CompletableFuture.completedFuture(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Takes an item without blocking the caller. A caller that gives up first ({@code cancel},
     * {@code orTimeout}, {@code completeOnTimeout}) loses nothing: the item is then either in the
     * future (the caller's completion returned false) or still queued.
     *
     * @param timeout the longest wait
     * @return completes with the item, or exceptionally with {@link QueueEmptyException}
     */
    CompletableFuture<T> getAsync(Duration timeout);

    /**
     * Waits until the queue has an item, without taking it (moodist's {@code wait(timeout)}).
     *
     * @param timeout the longest wait
     * @return true if the queue had an item, false on timeout
     * @throws InterruptedException if interrupted while waiting
     */
    boolean awaitNotEmpty(Duration timeout) throws InterruptedException;

    /**
     * Items queued now. Exact for in-JVM queues when no operation is under way; an estimate across
     * processes.
     *
     * @return the number of queued items
     */
    int size();

    /**
     * Whether the queue has no items now.
     *
     * @return true if empty
     */
    boolean isEmpty();

    /**
     * Whether the queue has no room now.
     *
     * @return true if full
     */
    boolean isFull();

    /**
     * The most items the queue holds.
     *
     * @return the capacity
     */
    int capacity();

    /**
     * Removes every queued item.
     *
     * @return how many items were removed
     */
    int clear();

    /**
     * A snapshot of the queue's counters.
     *
     * @return the metrics
     */
    QueueMetrics metrics();

    /**
     * The descriptor that names this queue; passing it to another process opens the same queue.
     *
     * @return the descriptor
     */
    QueueDescriptor descriptor();

    /**
     * What this queue's backend can do.
     *
     * @return the capabilities
     */
    Set<Capability> capabilities();

    /**
     * A handle for a named broadcast subscriber: it sees every item put after the subscriber was
     * first created and keeps its place across handles (and, for durable queues, restarts). Only
     * for backends with {@link Capability#BROADCAST}.
     *
     * @param name the subscriber's name
     * @return a queue handle whose gets read this subscriber's stream
     * @throws UnsupportedOperationException if the backend has no BROADCAST capability
     */
    MessageQueue<T> subscriber(String name);

    /**
     * A {@link BlockingQueue} view, so executors and existing code can use any backend. The view
     * does not support iteration or removal of arbitrary elements.
     *
     * @return the view, backed by this handle
     */
    BlockingQueue<T> asBlockingQueue();

    /**
     * A push view: each subscriber competes with other consumers for items and receives them as
     * it requests them. Completes a subscriber, whatever its demand, when this handle is closed or
     * destroyed, or when the queue ends under it (destroyed through another handle, on a backend
     * whose other handles then see {@link QueueClosedException}: at once with demand, within about
     * half a second without).
     *
     * @return the publisher
     */
    Flow.Publisher<T> asPublisher();

    /**
     * Detaches this handle; the queue and its items remain for other handles. Idempotent.
     */
    @Override
    void close();

    /**
     * Removes the queue itself (the shm file, the server-side queue, the actor) and closes this
     * handle. Other handles see {@link QueueClosedException} or a fresh queue, as the backend
     * documents.
     *
     * @throws QueueClosedException if this handle is already closed or destroyed; the queue is not
     *     touched. To destroy a queue through a closed handle, open a new one:
     *     {@code q.descriptor().open().destroy()}.
     */
    void destroy();

    /**
     * The body of a lambda-form transaction.
     *
     * @param <T> the item type
     */
    @FunctionalInterface
    interface TransactionBody<T> {
        /**
         * Puts into the transaction.
         *
         * @param tx the open transaction
         * @throws Exception anything; the transaction is then discarded and the exception rethrown
         */
        void run(Transaction<T> tx) throws Exception;
    }
}
