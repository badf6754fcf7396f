package dev.conduit.queue.priority;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.QueueStore;
import dev.conduit.queue.spi.Signal;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One handle's view of a {@link PriorityQueueState}. Thread-safe.
 *
 * @param <T> the item type
 */
final class PriorityStore<T> implements QueueStore<T> {
    private final PriorityQueueState q;
    private final Set<Capability> capabilities;
    private final java.util.function.BooleanSupplier closedCheck = this::isClosed;
    private final java.util.function.BooleanSupplier notEmptyOrClosed;
    private volatile boolean closed;

    PriorityStore(PriorityQueueState q, Set<Capability> capabilities) {
        this.q = q;
        this.capabilities = capabilities;
        this.notEmptyOrClosed = () -> q.size() > 0 || isClosed();
    }

    private boolean isClosed() {
        return closed || q.destroyed;
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new QueueClosedException("queue handle " + q.descriptor.qualifiedName()
                    + (q.destroyed ? " was destroyed" : " is closed"));
        }
    }

    @Override
    public int capacity() {
        return q.capacity;
    }

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        checkOpen();
        checkItem(item, priority);
        if (q.tryAdd(item, priority) == PriorityQueueState.Put.ADDED) {
            return true;
        }
        return waitAndRetry(1, timeoutNanos, () -> q.tryAdd(item, priority));
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos)
            throws InterruptedException {
        checkOpen();
        Object[] batch = batchOf(items, priorities);
        int[] batchPriorities = Arrays.copyOf(priorities, batch.length);
        if (q.tryAddAll(batch, batchPriorities) == PriorityQueueState.Put.ADDED) {
            return true;
        }
        return waitAndRetry(batch.length, timeoutNanos, () -> q.tryAddAll(batch, batchPriorities));
    }

    /**
     * Checks one item before a put claims room: a claim whose item is never written (an exception
     * after it) would make every take wait for it for ever, holding the queue's lock.
     *
     * @throws NullPointerException if the item is null
     * @throws IllegalArgumentException if the priority is not 0-255
     */
    private static void checkItem(Object item, int priority) {
        Objects.requireNonNull(item, "item must not be null");
        if (priority < MessageQueue.MIN_PRIORITY || priority > MessageQueue.MAX_PRIORITY) {
            throw new IllegalArgumentException("priority must be 0-255, not " + priority);
        }
    }

    /**
     * The items of a batch as an array of this store's own, each checked as by {@link #checkItem},
     * before the put claims room: the caller's list runs its code ({@code toArray}) here, and
     * nothing between the claim and the last write can throw (but a VM error).
     *
     * @throws IllegalArgumentException if there are more items than the capacity (the put would wait
     *     for ever, or until its timeout, for room that can never be), fewer priorities than items, or
     *     a priority not 0-255
     */
    private Object[] batchOf(List<?> items, int[] priorities) {
        Object[] batch = items.toArray();
        if (batch.length > q.capacity) {
            throw new IllegalArgumentException("a batch of " + batch.length + " items can never fit queue "
                    + q.descriptor.qualifiedName() + " of capacity " + q.capacity);
        }
        if (priorities.length < batch.length) {
            throw new IllegalArgumentException(batch.length + " items but " + priorities.length + " priorities");
        }
        for (int i = 0; i < batch.length; i++) {
            checkItem(batch[i], priorities[i]);
        }
        return batch;
    }

    private boolean waitAndRetry(int room, long timeoutNanos, java.util.function.Supplier<PriorityQueueState.Put> attempt)
            throws InterruptedException {
        long wait = q.backpressure == Backpressure.REJECT ? 0 : timeoutNanos;
        if (wait > 0) {
            q.slowCounters.waited();
            Signal signal = room == 1 ? q.notFull : q.notFullForBatch;
            if (signal.retryWhenReady(() -> q.hasRoom(room) || isClosed(), closedCheck,
                    Deadline.deadline(wait), this::checkOpen,
                    () -> attempt.get() == PriorityQueueState.Put.ADDED ? Boolean.TRUE : null) != null) {
                return true;
            }
        }
        q.slowCounters.rejected();
        return false;
    }

    @Override
    public boolean tryOfferUncounted(T item, int priority) {
        checkOpen();
        checkItem(item, priority);
        return q.tryAdd(item, priority) == PriorityQueueState.Put.ADDED;
    }

    @Override
    public boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) {
        checkOpen();
        Object[] batch = batchOf(items, priorities);
        return q.tryAddAll(batch, Arrays.copyOf(priorities, batch.length)) == PriorityQueueState.Put.ADDED;
    }

    @Override
    public boolean tryOffer(T item, int priority) {
        if (tryOfferUncounted(item, priority)) {
            return true;
        }
        q.slowCounters.rejected();
        return false;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T tryPoll() {
        checkOpen();
        return (T) q.tryTake();
    }

    @Override
    @SuppressWarnings("unchecked")
    public T poll(long timeoutNanos) throws InterruptedException {
        checkOpen();
        Object item = q.tryTake();
        if (item != null || timeoutNanos == 0) {
            return (T) item;
        }
        q.slowCounters.waited();
        return (T) q.notEmpty.retryWhenReady(notEmptyOrClosed, closedCheck, Deadline.deadline(timeoutNanos),
                this::checkOpen, q::tryTake);
    }

    @Override
    @SuppressWarnings("unchecked")
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        checkOpen();
        int n = q.drain(e -> sink.add((T) e), maxItems);
        if (n > 0 || timeoutNanos == 0) {
            return n;
        }
        T first = poll(timeoutNanos);
        if (first == null) {
            return 0;
        }
        sink.add(first);
        return 1 + q.drain(e -> sink.add((T) e), maxItems - 1);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T peek() {
        checkOpen();
        return (T) q.peek();
    }

    @Override
    public int size() {
        return q.size();
    }

    @Override
    public int clear() {
        checkOpen();
        return q.clear();
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        checkOpen();
        boolean ready = q.notEmpty.awaitWithoutTaking(notEmptyOrClosed, closedCheck, timeoutNanos);
        checkOpen();
        return ready;
    }

    @Override
    public QueueMetrics metrics() {
        return q.metrics();
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public void close() {
        closed = true;
        q.wakeAll();
    }

    @Override
    public void destroy() {
        closed = true;
        PriorityBackend.destroy(q);
    }
}
