package dev.conduit.queue.priority;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueBackend;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Type {@code priority}: an in-JVM queue where priorities 0–255 are honoured (higher first, FIFO
 * within a priority), named by namespace and id like {@code local}. Option {@code backpressure}
 * chooses what a put does when the queue is full: BLOCK (default), REJECT, or DROP_OLDEST (the
 * oldest item of the lowest priority present makes room; if the new item's priority is lower
 * than all of them, the new item is dropped; drops are counted in the metrics).
 */
public final class PriorityBackend implements QueueBackend {
    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(
            EnumSet.of(Capability.IN_JVM, Capability.PRIORITY, Capability.TRANSACTIONS));
    private static final ConcurrentMap<String, PriorityQueueState> QUEUES = new ConcurrentHashMap<>();

    /** Made by {@link java.util.ServiceLoader}. */
    public PriorityBackend() {
    }

    @Override
    public String type() {
        return "priority";
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    private static String key(QueueDescriptor d) {
        return d.namespace() + "/" + d.id();
    }

    @Override
    public <T> QueueStore<T> open(QueueDescriptor d, Codec<T> codec) {
        PriorityQueueState q = QUEUES.computeIfAbsent(key(d), k -> new PriorityQueueState(d));
        if (q.capacity != d.capacity() || !q.descriptor.options().equals(d.options())) {
            throw new IllegalArgumentException("queue " + d.qualifiedName() + " already exists in this JVM with "
                    + "capacity " + q.capacity + " and options " + q.descriptor.options()
                    + "; this descriptor asks for capacity " + d.capacity() + " and options " + d.options());
        }
        return new PriorityStore<>(q, CAPABILITIES);
    }

    static void destroy(PriorityQueueState q) {
        QUEUES.remove(key(q.descriptor), q);
        q.destroyed = true;
        q.wakeAll();
    }
}
