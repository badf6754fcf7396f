package dev.conduit.queue.bench;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.Objects;

/**
 * A Conduit queue opened through {@link QueueDescriptor#open()}, the way users get one: every call
 * goes through the public {@link MessageQueue} contract, argument checks and all. Thread-safe.
 */
final class ConduitBenchQueue implements BenchQueue {
    private static final Duration BLOCKING_TIMEOUT = Duration.ofNanos(BLOCKING_TIMEOUT_NANOS);

    private final MessageQueue<Integer> queue;

    /**
     * Opens the queue a descriptor names and forces its lazy creation, so that the first
     * measured call does not pay for it.
     *
     * @param descriptor a fresh, uniquely named queue
     */
    ConduitBenchQueue(QueueDescriptor descriptor) {
        this.queue = Objects.requireNonNull(descriptor, "descriptor").open();
        queue.size();
    }

    @Override
    public boolean offer(Integer item) {
        return queue.offer(item);
    }

    @Override
    public Integer poll() {
        return queue.poll().orElse(null);
    }

    @Override
    public boolean put(Integer item) throws InterruptedException {
        try {
            queue.put(item, BLOCKING_TIMEOUT);
            return true;
        } catch (QueueFullException timedOut) {
            return false;
        }
    }

    @Override
    public Integer take() throws InterruptedException {
        try {
            return queue.get(BLOCKING_TIMEOUT);
        } catch (QueueEmptyException timedOut) {
            return null;
        }
    }

    @Override
    public void close() {
        queue.destroy();
    }
}
