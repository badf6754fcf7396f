package dev.conduit.queue.local;

import dev.conduit.queue.QueueDescriptor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The JVM-wide table of named local queues, by namespace and id. Thread-safe.
 */
final class LocalQueues {
    private static final ConcurrentMap<String, LocalQueue> QUEUES = new ConcurrentHashMap<>();

    private LocalQueues() {
    }

    private static String key(QueueDescriptor d) {
        return d.type() + ":" + d.namespace() + "/" + d.id();
    }

    /**
     * The queue a descriptor names, created on first use.
     *
     * @throws IllegalArgumentException if the queue exists with another capacity or options
     */
    static LocalQueue open(QueueDescriptor d) {
        LocalQueue q = QUEUES.computeIfAbsent(key(d), k -> new LocalQueue(d));
        if (q.descriptor.capacity() != d.capacity() || !q.descriptor.options().equals(d.options())) {
            throw new IllegalArgumentException("queue " + d.qualifiedName() + " already exists in this JVM with "
                    + "capacity " + q.descriptor.capacity() + " and options " + q.descriptor.options()
                    + "; this descriptor asks for capacity " + d.capacity() + " and options " + d.options());
        }
        return q;
    }

    static void destroy(LocalQueue q) {
        QUEUES.remove(key(q.descriptor), q);
        q.destroyed = true;
        q.wakeAll();
    }
}
