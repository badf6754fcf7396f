package dev.conduit.queue.spi;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueMetrics;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The primitives a backend implements for one handle; {@link StoreQueue} builds the whole
 * {@link dev.conduit.queue.MessageQueue} contract on them (argument checks, exceptions,
 * transactions, async calls, views), so no backend repeats that code.
 *
 * <p>Timeouts are in nanoseconds: 0 means do not wait, {@link Long#MAX_VALUE} means wait
 * forever ({@link Deadline#toNanos} converts a {@link java.time.Duration}). Arguments arrive
 * checked: items are not null, priorities are 0–255, batches are not empty and fit the capacity.
 *
 * <p>Implementations are thread-safe. A store whose handle is closed ends every wait with
 * {@link dev.conduit.queue.QueueClosedException}.
 *
 * @param <T> the item type
 */
public interface QueueStore<T> {

    /** @return the most items the queue holds */
    int capacity();

    /**
     * Adds one item, applying the queue's backpressure policy.
     *
     * @param item the item
     * @param priority 0–255
     * @param timeoutNanos the longest wait for room
     * @return true if added (or placed by dropping another item), false on timeout
     * @throws InterruptedException if interrupted; nothing was added
     */
    boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException;

    /**
     * Adds every item atomically: a consumer sees all or none, contiguous and in order (ordered by
     * priority first, for priority queues).
     *
     * @param items the items
     * @param priorities one priority per item
     * @param timeoutNanos the longest wait for room for all of them
     * @return true if added, false on timeout (nothing added)
     * @throws InterruptedException if interrupted; nothing was added
     */
    boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos) throws InterruptedException;

    /**
     * Adds one item if there is room now (or the policy makes room), without waiting. Backends
     * override this with a direct path; the default calls {@link #offer} with no wait.
     *
     * @param item the item
     * @param priority 0–255
     * @return true if added
     */
    default boolean tryOffer(T item, int priority) {
        try {
            return offer(item, priority, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The first try of an asynchronous put, made on the caller's thread: adds the item if there is
     * room now (or the policy makes room), and otherwise returns false <em>without counting a
     * refusal</em>, because the put goes on to wait for room on {@link AsyncSupport}'s threads,
     * where {@link #offer} counts a refusal once if there is one (a put that waits and gets in was
     * not refused). It runs on the caller's thread so that the asynchronous puts of one thread
     * that find room arrive in call order.
     *
     * <p>The default calls {@link #tryOffer}, which counts a refusal: a backend whose refusals are
     * counted there overrides this with a try that counts nothing, or its asynchronous puts that
     * wait and get in are counted as refused ({@code QueueConformanceTest} checks it).
     *
     * @param item the item
     * @param priority 0–255
     * @return true if added; false if not (counting nothing, where the backend overrides this)
     */
    default boolean tryOfferUncounted(T item, int priority) {
        return tryOffer(item, priority);
    }

    /**
     * {@link #tryOfferUncounted} for a batch: adds every item atomically if there is room for all
     * of them now (or the policy makes it), and otherwise returns false with nothing added and
     * nothing counted. The default calls {@link #offerAll} with no wait, which counts a refusal.
     *
     * @param items the items, checked as for {@link #offerAll}
     * @param priorities one priority per item
     * @return true if all were added; false if none was (counting nothing, where the backend
     *     overrides this)
     * @throws InterruptedException if interrupted; nothing was added
     */
    default boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) throws InterruptedException {
        return offerAll(items, priorities, 0);
    }

    /**
     * Adds one item without blocking the caller, waiting for room as long as it takes. Backends
     * whose puts are remote override this to send without waiting for the answer (pipelining); the
     * default tries {@link #tryOfferUncounted} and otherwise runs {@link #offer} with no time limit
     * on {@link AsyncSupport}'s threads, so that {@code metrics().rejected()} counts the put only if
     * it is refused in the end.
     *
     * @param item the item
     * @param priority 0–255
     * @return completes with true when the item is queued, false when the queue's policy refused
     *     it (nothing added), or exceptionally with the put's exception (nothing added)
     */
    default java.util.concurrent.CompletableFuture<Boolean> offerAsync(T item, int priority) {
        try {
            if (tryOfferUncounted(item, priority)) {
                return java.util.concurrent.CompletableFuture.completedFuture(true);
            }
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        return AsyncSupport.run(() -> offer(item, priority, Deadline.FOREVER));
    }

    /**
     * Adds every item atomically without blocking the caller, waiting for room for all of them as
     * long as it takes. Backends whose puts are remote override this to send without waiting for the
     * answer (pipelining); the default tries {@link #tryOfferAllUncounted} and otherwise runs
     * {@link #offerAll} with no time limit on {@link AsyncSupport}'s threads.
     *
     * @param items the items, checked as for {@link #offerAll}
     * @param priorities one priority per item
     * @return completes with true when all items are queued, false when the queue's policy refused
     *     them (nothing added), or exceptionally with the put's exception (nothing added)
     */
    default java.util.concurrent.CompletableFuture<Boolean> offerAllAsync(List<? extends T> items,
            int[] priorities) {
        try {
            if (tryOfferAllUncounted(items, priorities)) {
                return java.util.concurrent.CompletableFuture.completedFuture(true);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        return AsyncSupport.run(() -> offerAll(items, priorities, Deadline.FOREVER));
    }

    /**
     * Removes the head if there is one now, without waiting. Backends override this with a direct
     * path (it is what {@code poll()} calls, so it should be small enough to inline).
     *
     * @return the item, or null when empty
     */
    default T tryPoll() {
        try {
            return poll(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Removes the head.
     *
     * @param timeoutNanos the longest wait
     * @return the item, or null on timeout
     * @throws InterruptedException if interrupted; nothing was taken
     */
    T poll(long timeoutNanos) throws InterruptedException;

    /**
     * Waits for the first item, then moves every item available at once into {@code sink}, up to
     * {@code maxItems}.
     *
     * @param sink where items go, in queue order
     * @param maxItems at least 1
     * @param timeoutNanos the longest wait for the first item
     * @return how many items were moved; 0 on timeout
     * @throws InterruptedException if interrupted before the first item; nothing was taken
     */
    int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException;

    /** @return the head without removing it, or null when empty */
    T peek();

    /** @return the number of queued items */
    int size();

    /**
     * Removes every queued item.
     *
     * @return how many were removed
     */
    int clear();

    /**
     * Waits until the queue has an item.
     *
     * @param timeoutNanos the longest wait
     * @return true if it has one, false on timeout
     * @throws InterruptedException if interrupted
     */
    boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException;

    /** @return a snapshot of the queue's counters */
    QueueMetrics metrics();

    /** @return what this store can do */
    Set<Capability> capabilities();

    /**
     * A store reading a named broadcast subscriber's stream.
     *
     * @param name the subscriber name
     * @return the subscriber's store
     * @throws UnsupportedOperationException without {@link Capability#BROADCAST}
     */
    default QueueStore<T> subscriber(String name) {
        throw new UnsupportedOperationException("this queue has no BROADCAST capability; "
                + "use a backend that has it (rpc, or shm with durable=true)");
    }

    /** Detaches this handle and wakes its waiting callers. Idempotent. */
    void close();

    /** Removes the queue itself and closes this handle. */
    void destroy();
}
