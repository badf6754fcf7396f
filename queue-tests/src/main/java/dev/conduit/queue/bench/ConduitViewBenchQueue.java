package dev.conduit.queue.bench;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.Objects;

/**
 * A Conduit queue used through its {@link MessageQueue#asBlockingQueue()} view, exactly as
 * {@link JdkBenchQueue} uses a {@code java.util.concurrent} queue: {@code offer} and {@code poll}
 * as they are (the view's {@code poll()} returns the item or null, with no {@code Optional}), and
 * the view's timed {@code offer}/{@code poll} as {@code put}/{@code take}. Closing destroys the
 * named queue. Thread-safe.
 */
final class ConduitViewBenchQueue extends JdkBenchQueue {
    private final MessageQueue<Integer> conduit;

    private ConduitViewBenchQueue(MessageQueue<Integer> conduit) {
        super(conduit.asBlockingQueue());
        this.conduit = conduit;
    }

    /**
     * Opens the queue a descriptor names and forces its lazy creation, so that the first measured
     * call does not pay for it.
     *
     * @param descriptor a fresh, uniquely named queue
     * @return the contender, over the queue's view
     */
    static ConduitViewBenchQueue open(QueueDescriptor descriptor) {
        MessageQueue<Integer> q = Objects.requireNonNull(descriptor, "descriptor").open();
        q.size();
        return new ConduitViewBenchQueue(q);
    }

    @Override
    public void close() {
        conduit.destroy();
    }
}
