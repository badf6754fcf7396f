package dev.conduit.queue.spi;

import dev.conduit.queue.QueueDescriptor;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JVM-wide table behind {@link QueueDescriptor#fromExisting}: wrapped queue objects by
 * namespace and id. Thread-safe.
 */
public final class ExistingQueues {
    private static final Map<String, Entry> QUEUES = new ConcurrentHashMap<>();

    /** A registered queue object and the counters every handle on it shares. */
    static final class Entry {
        final BlockingQueue<?> queue;
        final MetricsCounters counters = new MetricsCounters();

        Entry(BlockingQueue<?> queue) {
            this.queue = queue;
        }
    }

    private ExistingQueues() {
    }

    private static String key(QueueDescriptor d) {
        return d.namespace() + "/" + d.id();
    }

    /**
     * Registers a queue object under a descriptor's namespace and id.
     *
     * @param d the descriptor
     * @param queue the object
     * @throws IllegalArgumentException if a different object holds the name
     */
    public static void register(QueueDescriptor d, BlockingQueue<?> queue) {
        Entry prev = QUEUES.putIfAbsent(key(d), new Entry(queue));
        if (prev != null && prev.queue != queue) {
            throw new IllegalArgumentException("another queue object is already registered as '" + d.id()
                    + "' in namespace '" + d.namespace() + "'");
        }
    }

    /**
     * The registered object.
     *
     * @param d the descriptor
     * @return the object, or null
     */
    public static BlockingQueue<?> lookup(QueueDescriptor d) {
        Entry e = QUEUES.get(key(d));
        return e == null ? null : e.queue;
    }

    static Entry entry(QueueDescriptor d) {
        return QUEUES.get(key(d));
    }

    /**
     * Forgets a registration.
     *
     * @param d the descriptor
     */
    public static void unregister(QueueDescriptor d) {
        QUEUES.remove(key(d));
    }
}
