package dev.conduit.queue.spi;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link MessageQueue#asBlockingQueue()}: the {@link BlockingQueue} contract over any backend.
 * Iteration, {@code contains} and {@code remove(Object)} are unsupported: a queue shared with
 * other processes cannot be walked or edited in place. Thread-safe.
 *
 * @param <T> the item type
 */
final class BlockingQueueView<T> extends AbstractQueue<T> implements BlockingQueue<T> {
    private final StoreQueue<T> q;

    /**
     * Over a {@link StoreQueue}, so that {@link #poll()}, {@link #poll(long, TimeUnit)} and
     * {@link #peek()} take the store's item or null straight away: going through
     * {@link MessageQueue#poll()} allocated an {@code Optional} per call, which C2 on JDK 17 does not
     * remove (16 bytes per item under JMH's gc profiler), and the timed poll's batch of one a list
     * (48 bytes per call).
     */
    BlockingQueueView(StoreQueue<T> q) {
        this.q = q;
    }

    @Override
    public boolean offer(T t) {
        return q.offer(t);
    }

    @Override
    public void put(T t) throws InterruptedException {
        q.put(t);
    }

    @Override
    public boolean offer(T t, long timeout, TimeUnit unit) throws InterruptedException {
        try {
            q.put(t, Duration.ofNanos(unit.toNanos(timeout)));
            return true;
        } catch (QueueFullException e) {
            return false;
        }
    }

    @Override
    public T take() throws InterruptedException {
        return q.get();
    }

    @Override
    public T poll(long timeout, TimeUnit unit) throws InterruptedException {
        return q.pollOrNull(unit.toNanos(timeout));
    }

    @Override
    public T poll() {
        return q.pollOrNull();
    }

    @Override
    public T peek() {
        return q.peekOrNull();
    }

    @Override
    public int remainingCapacity() {
        return Math.max(0, q.capacity() - q.size());
    }

    @Override
    public int drainTo(Collection<? super T> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    @Override
    public int drainTo(Collection<? super T> c, int maxElements) {
        Objects.requireNonNull(c);
        if (c == this) {
            throw new IllegalArgumentException("cannot drain a queue into itself");
        }
        int n = 0;
        while (n < maxElements) {
            List<T> batch;
            try {
                batch = q.getBatch(Math.min(maxElements - n, 1024), Duration.ZERO);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (batch.isEmpty()) {
                break;
            }
            c.addAll(batch);
            n += batch.size();
        }
        return n;
    }

    @Override
    public void clear() {
        q.clear();
    }

    @Override
    public int size() {
        return q.size();
    }

    @Override
    public boolean isEmpty() {
        return q.isEmpty();
    }

    @Override
    public boolean contains(Object o) {
        throw new UnsupportedOperationException("a Conduit queue cannot be searched in place");
    }

    @Override
    public boolean remove(Object o) {
        throw new UnsupportedOperationException("a Conduit queue cannot remove an arbitrary element");
    }

    @Override
    public Iterator<T> iterator() {
        throw new UnsupportedOperationException("a Conduit queue cannot be iterated; use drainTo or poll");
    }

    @Override
    public String toString() {
        return "BlockingQueue view of " + q;
    }
}
