package dev.conduit.queue.bench;

import java.util.concurrent.TimeUnit;

/**
 * One queue under test, reduced to the four operations the benchmarks loop over, so that every
 * contender runs exactly the same benchmark code.
 *
 * <p>The blocking pair waits at most {@link #BLOCKING_TIMEOUT_NANOS}: a JMH iteration can only end
 * when every benchmark thread returns, and a consumer blocked forever on an empty queue never
 * would. The timed forms take the same lock, condition or signal path as the untimed ones.
 *
 * <p>Implementations are as thread-safe as the queue they wrap: all of them are multi-producer,
 * multi-consumer.
 */
public interface BenchQueue extends AutoCloseable {

    /** The longest wait of {@link #put} and {@link #take}: 100 ms. */
    long BLOCKING_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * Adds an item if there is room now, without waiting.
     *
     * @param item the item, not null
     * @return true if added, false if the queue was full
     */
    boolean offer(Integer item);

    /**
     * Removes the head if there is one now, without waiting.
     *
     * @return the head, or null if the queue was empty
     */
    Integer poll();

    /**
     * Adds an item, waiting for room at most {@link #BLOCKING_TIMEOUT_NANOS}.
     *
     * @param item the item, not null
     * @return true if added, false if the queue stayed full for the whole wait
     * @throws InterruptedException if interrupted while waiting
     */
    boolean put(Integer item) throws InterruptedException;

    /**
     * Removes the head, waiting for one at most {@link #BLOCKING_TIMEOUT_NANOS}.
     *
     * @return the head, or null if the queue stayed empty for the whole wait
     * @throws InterruptedException if interrupted while waiting
     */
    Integer take() throws InterruptedException;

    /** Releases the queue (a named Conduit queue is destroyed). Idempotent. */
    @Override
    void close();
}
