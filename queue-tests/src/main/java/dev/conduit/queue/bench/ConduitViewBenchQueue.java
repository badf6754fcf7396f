package dev.conduit.queue.bench;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Conduit queue used through its {@link MessageQueue#asBlockingQueue()} view: {@code offer} and
 * {@code poll} as they are (the view's {@code poll()} returns the item or null, with no
 * {@code Optional}), and the view's timed {@code offer}/{@code poll} as {@code put}/{@code take},
 * as {@link JdkBenchQueue} uses a {@code java.util.concurrent} queue. Thread-safe.
 */
final class ConduitViewBenchQueue implements BenchQueue {
    private final MessageQueue<Integer> queue;
    private final BlockingQueue<Integer> view;

    /**
     * Opens the queue a descriptor names, forces its lazy creation so that the first measured call
     * does not pay for it, and takes its view.
     *
     * @param descriptor a fresh, uniquely named queue
     */
    ConduitViewBenchQueue(QueueDescriptor descriptor) {
        this.queue = Objects.requireNonNull(descriptor, "descriptor").open();
        queue.size();
        this.view = queue.asBlockingQueue();
    }

    @Override
    public boolean offer(Integer item) {
        return view.offer(item);
    }

    @Override
    public Integer poll() {
        return view.poll();
    }

    @Override
    public boolean put(Integer item) throws InterruptedException {
        return view.offer(item, BLOCKING_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
    }

    @Override
    public Integer take() throws InterruptedException {
        return view.poll(BLOCKING_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        queue.destroy();
    }
}
