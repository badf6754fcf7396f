package dev.conduit.queue.bench;

import java.util.Objects;
import java.util.Queue;

/**
 * A contender that is a {@link Queue} of its own: its {@code offer}/{@code poll} are the
 * non-blocking pair as they are, and {@link #close} clears it (a subclass whose queue is a view of
 * another releases that instead); subclasses say how it waits. As thread-safe as the queue.
 *
 * @param <Q> the queue's class, so subclasses call it without a cast
 */
abstract class QueueBackedBenchQueue<Q extends Queue<Integer>> implements BenchQueue {
    /** The queue measured. */
    protected final Q queue;

    /** @param queue the queue to measure */
    QueueBackedBenchQueue(Q queue) {
        this.queue = Objects.requireNonNull(queue, "queue");
    }

    @Override
    public final boolean offer(Integer item) {
        return queue.offer(item);
    }

    @Override
    public final Integer poll() {
        return queue.poll();
    }

    @Override
    public void close() {
        queue.clear();
    }
}
