package dev.conduit.queue.local;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.QueueStore;
import dev.conduit.queue.spi.Signal;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One handle's view of a {@link LocalQueue}. Fast paths are one ring operation plus a read of the
 * other side's waiter count; waits sleep on a {@link dev.conduit.queue.spi.Signal}. Thread-safe.
 *
 * @param <T> the item type
 */
final class LocalStore<T> implements QueueStore<T> {
    private final LocalQueue q;
    private final MpmcRing ring;
    /** The queue's signals, held here so that the fast paths reach them without going through q. */
    private final Signal notEmpty;
    private final Signal notFull;
    private final Signal notFullForBatch;
    private final Set<Capability> capabilities;
    private final java.util.function.BooleanSupplier closedCheck = this::isClosed;
    private final java.util.function.BooleanSupplier notEmptyOrClosed;
    private final java.util.function.BooleanSupplier notFullOrClosed;
    private volatile boolean closed;

    LocalStore(LocalQueue q, Set<Capability> capabilities) {
        this.q = q;
        this.ring = q.ring;
        this.notEmpty = q.notEmpty;
        this.notFull = q.notFull;
        this.notFullForBatch = q.notFullForBatch;
        this.capabilities = capabilities;
        this.notEmptyOrClosed = () -> !ring.isEmpty() || isClosed();
        this.notFullOrClosed = () -> ring.size() < ring.capacity() || isClosed();
    }

    private void checkOpen() {
        if (closed || q.destroyed) {
            throw new QueueClosedException("queue handle " + q.descriptor.qualifiedName()
                    + (q.destroyed ? " was destroyed" : " is closed"));
        }
    }

    private boolean isClosed() {
        return closed || q.destroyed;
    }

    @Override
    public int capacity() {
        return ring.capacity();
    }

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        checkOpen();
        // The ring takes null for "no item": a null put through the SPI would be a slot no get returns.
        Objects.requireNonNull(item, "item must not be null");
        if (ring.offer(item)) {
            notEmpty.signalOne();
            return true;
        }
        return offerSlow(item, timeoutNanos);
    }

    @Override
    public boolean tryOffer(T item, int priority) {
        if (tryOfferUncounted(item, priority)) {
            return true;
        }
        // What offerByPolicy does for a put that must not wait, without building its attempt:
        // a failed offer in a producer's retry loop allocates nothing.
        q.counters.rejected();
        return false;
    }

    /** Refused only when full and the policy is not DROP_OLDEST, which always makes room. */
    @Override
    public boolean tryOfferUncounted(T item, int priority) {
        checkOpen();
        Objects.requireNonNull(item, "item must not be null");
        if (ring.offer(item)) {
            notEmpty.signalOne();
            return true;
        }
        if (q.backpressure != Backpressure.DROP_OLDEST) {
            return false;
        }
        try {
            return offerSlow(item, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) {
        checkOpen();
        Object[] batch = batchOf(items);
        if (ring.offerAll(batch)) {
            notEmpty.signalAll();
            return true;
        }
        if (q.backpressure != Backpressure.DROP_OLDEST) {
            return false;
        }
        try {
            return offerBatch(batch, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public T tryPoll() {
        checkOpen();
        Object e = ring.poll();
        if (e != null) {
            freed(false);
        }
        return (T) e;
    }

    /** {@link Signal#roomFreed} on this queue's signals: a take freed one slot, or {@code many}. */
    private void freed(boolean many) {
        Signal.roomFreed(notFull, notFullForBatch, many);
    }

    private boolean offerSlow(T item, long timeoutNanos) throws InterruptedException {
        return offerByPolicy(() -> ring.offer(item), 1, notFullOrClosed, timeoutNanos, false, notFull);
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos)
            throws InterruptedException {
        checkOpen();
        return offerBatch(batchOf(items), timeoutNanos);
    }

    /**
     * The batch as the ring takes it ({@link MpmcRing#batchOf}), refused if it can never fit: it
     * would wait for room for ever (BLOCK) or drop every item in turn, spinning, for ever
     * (DROP_OLDEST).
     *
     * @throws IllegalArgumentException if there are more items than the capacity
     */
    private Object[] batchOf(List<? extends T> items) {
        Object[] batch = MpmcRing.batchOf(items);
        if (batch.length > ring.capacity()) {
            throw new IllegalArgumentException("a batch of " + batch.length + " items can never fit queue "
                    + q.descriptor.qualifiedName() + " of capacity " + ring.capacity());
        }
        return batch;
    }

    /** {@link #offerAll} of a batch the ring owns ({@link MpmcRing#batchOf}). */
    private boolean offerBatch(Object[] batch, long timeoutNanos) throws InterruptedException {
        if (ring.offerAll(batch)) {
            notEmpty.signalAll();
            return true;
        }
        int n = batch.length;
        return offerByPolicy(() -> ring.offerAll(batch), n, () -> ring.size() + n <= ring.capacity() || isClosed(),
                timeoutNanos, true, n == 1 ? notFull : notFullForBatch);
    }

    /**
     * What a put does when its first attempt found the ring full: DROP_OLDEST drops heads until the
     * attempt succeeds; REJECT refuses at once; BLOCK waits for room, up to the timeout.
     *
     * @param attempt one non-waiting try of the put
     * @param room how many slots the put needs
     * @param roomOrClosed when a waiting put should try again
     * @param batch whether the put adds several items (wakes every consumer)
     * @param roomSignal the signal to wait on for room
     */
    private boolean offerByPolicy(java.util.function.BooleanSupplier attempt, int room,
            java.util.function.BooleanSupplier roomOrClosed, long timeoutNanos, boolean batch, Signal roomSignal)
            throws InterruptedException {
        Backpressure policy = q.backpressure;
        if (policy == Backpressure.DROP_OLDEST) {
            for (;;) {
                if (attempt.getAsBoolean()) {
                    published(batch);
                    return true;
                }
                // Only while there is still no room: a consumer may have made some since the attempt.
                if (ring.pollWhenNoRoomFor(room) != null) {
                    q.counters.dropped(1);
                }
            }
        }
        long wait = policy == Backpressure.REJECT ? 0 : timeoutNanos;
        if (wait > 0) {
            q.counters.waited();
            if (roomSignal.retryWhenReady(roomOrClosed, closedCheck, Deadline.deadline(wait), this::checkOpen,
                    () -> attempt.getAsBoolean() ? Boolean.TRUE : null) != null) {
                published(batch);
                return true;
            }
        }
        q.counters.rejected();
        return false;
    }

    private void published(boolean batch) {
        if (batch) {
            notEmpty.signalAll();
        } else {
            notEmpty.signalOne();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public T poll(long timeoutNanos) throws InterruptedException {
        checkOpen();
        Object e = ring.poll();
        if (e != null) {
            freed(false);
            return (T) e;
        }
        if (timeoutNanos == 0) {
            return null;
        }
        q.counters.waited();
        e = notEmpty.retryWhenReady(notEmptyOrClosed, closedCheck, Deadline.deadline(timeoutNanos), this::checkOpen,
                ring::poll);
        if (e != null) {
            freed(false);
        }
        return (T) e;
    }

    @Override
    @SuppressWarnings("unchecked")
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        T first = poll(timeoutNanos);
        if (first == null) {
            return 0;
        }
        sink.add(first);
        int n = 1 + ring.drain(e -> sink.add((T) e), maxItems - 1);
        if (n > 1) {
            freed(true);
        }
        return n;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T peek() {
        checkOpen();
        return (T) ring.peek();
    }

    @Override
    public int size() {
        return ring.size();
    }

    @Override
    public int clear() {
        checkOpen();
        int n = ring.clear();
        q.cleared.add(n);
        if (n > 0) {
            freed(true);
        }
        return n;
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        checkOpen();
        boolean ready = notEmpty.awaitWithoutTaking(notEmptyOrClosed, closedCheck, timeoutNanos);
        checkOpen();
        return ready;
    }

    @Override
    public QueueMetrics metrics() {
        // Puts and gets come from the ring's indices: nothing is counted on the fast path.
        QueueMetrics c = q.counters.snapshot(ring.size(), ring.capacity(), -1);
        long cleared = q.cleared.sum();
        return new QueueMetrics(c.size(), c.capacity(), ring.producerCount(),
                ring.consumerCount() - cleared - c.dropped(), c.rejected(), c.dropped(), c.waits(), 0, 0, -1, cleared);
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
        LocalQueues.destroy(q);
    }
}
