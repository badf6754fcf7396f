package dev.conduit.queue;

import java.time.Duration;

/**
 * A group of puts that become visible together. Nothing reaches the queue until {@link #commit()};
 * {@link #close()} without a commit discards everything (so try-with-resources rolls back unless
 * committed). Not thread-safe: use a transaction from one thread.
 *
 * @param <T> the item type
 */
public interface Transaction<T> extends AutoCloseable {

    /**
     * Adds an item to the transaction with the default priority.
     *
     * @param item the item, not null
     * @throws IllegalStateException if the transaction was committed or rolled back
     */
    void put(T item);

    /**
     * Adds an item to the transaction with a priority.
     *
     * @param item the item, not null
     * @param priority 0 to 255
     */
    void put(T item, int priority);

    /**
     * How many items the transaction holds.
     *
     * @return the count
     */
    int size();

    /**
     * Makes every item visible at once, waiting while there is no room for all of them.
     *
     * @throws InterruptedException if interrupted while waiting; nothing was added and the
     *     transaction stays open
     */
    void commit() throws InterruptedException;

    /**
     * Commits, waiting at most {@code timeout} for room.
     *
     * @param timeout the longest wait
     * @throws QueueFullException if there was no room in time; nothing was added and the
     *     transaction stays open
     * @throws InterruptedException if interrupted while waiting
     */
    void commit(Duration timeout) throws InterruptedException;

    /**
     * Discards every item. Idempotent.
     */
    void rollback();

    /**
     * Whether commit succeeded.
     *
     * @return true once committed
     */
    boolean isCommitted();

    /** Rolls back unless committed. */
    @Override
    void close();
}
