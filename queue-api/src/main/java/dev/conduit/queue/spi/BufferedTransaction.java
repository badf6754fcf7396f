package dev.conduit.queue.spi;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A transaction that holds its puts in this JVM and hands them to the store as one atomic batch on
 * commit. Not thread-safe (a transaction belongs to one thread).
 *
 * @param <T> the item type
 */
final class BufferedTransaction<T> implements Transaction<T> {
    private final StoreQueue<T> queue;
    private final List<T> items = new ArrayList<>();
    private int[] priorities = new int[16];
    private boolean committed;
    private boolean rolledBack;

    BufferedTransaction(StoreQueue<T> queue) {
        this.queue = queue;
    }

    private void checkOpen() {
        if (committed) {
            throw new IllegalStateException("transaction already committed");
        }
        if (rolledBack) {
            throw new IllegalStateException("transaction already rolled back");
        }
    }

    @Override
    public void put(T item) {
        put(item, MessageQueue.DEFAULT_PRIORITY);
    }

    @Override
    public void put(T item, int priority) {
        checkOpen();
        Objects.requireNonNull(item, "item must not be null");
        if (priority < MessageQueue.MIN_PRIORITY || priority > MessageQueue.MAX_PRIORITY) {
            throw new IllegalArgumentException("priority must be 0-255, not " + priority);
        }
        if (items.size() == priorities.length) {
            priorities = java.util.Arrays.copyOf(priorities, priorities.length * 2);
        }
        priorities[items.size()] = priority;
        items.add(item);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public void commit() throws InterruptedException {
        commit(Duration.ofNanos(Deadline.FOREVER));
    }

    @Override
    public void commit(Duration timeout) throws InterruptedException {
        checkOpen();
        queue.commitBatch(items, java.util.Arrays.copyOf(priorities, items.size()), Deadline.toNanos(timeout));
        committed = true;
        items.clear();
    }

    @Override
    public void rollback() {
        if (!committed) {
            rolledBack = true;
            items.clear();
        }
    }

    @Override
    public boolean isCommitted() {
        return committed;
    }

    @Override
    public void close() {
        rollback();
    }
}
