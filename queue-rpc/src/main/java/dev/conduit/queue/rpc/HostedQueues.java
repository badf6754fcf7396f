package dev.conduit.queue.rpc;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.BackendNotFoundException;
import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.BackendRegistry;
import dev.conduit.queue.spi.QueueStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The named queues one server hosts, created on first use from the descriptor a client sends.
 *
 * <p>The descriptor's type says what holds the items: {@code local} (default) or {@code priority},
 * in this JVM, or {@code journal} (queue-shm's durable journal) when the descriptor has
 * {@code durable=true} and queue-shm is on the server's class path. Option {@code broadcast=true}
 * makes an in-memory {@link BroadcastStore}. In-memory queues live under a namespace private to
 * this server instance, so two servers in one JVM never share one.
 *
 * <p>Thread-safe.
 */
final class HostedQueues {
    private static final Logger LOG = LoggerFactory.getLogger(HostedQueues.class);
    private static final AtomicLong INSTANCES = new AtomicLong();
    private static final Set<String> IN_MEMORY_TYPES = Set.of("local", "priority");
    static final String DURABLE_TYPE = "journal";

    private final ConcurrentMap<String, HostedQueue> queues = new ConcurrentHashMap<>();
    private final int maxQueues;
    private final long maxItemBytes;
    private final ScheduledExecutorService timer;
    private final String privateNamespace = "conduit-rpc-" + INSTANCES.incrementAndGet();
    private final AtomicLong localIds = new AtomicLong();
    /** Set, under this object's lock, when {@link #releaseAll} begins: no queue is created after. */
    private boolean released;

    HostedQueues(int maxQueues, long maxItemBytes, ScheduledExecutorService timer) {
        this.maxQueues = maxQueues;
        this.maxItemBytes = maxItemBytes;
        this.timer = timer;
    }

    private static String key(String namespace, String id) {
        return namespace + "/" + id;
    }

    /**
     * The queue a descriptor names, created if the server does not host it yet.
     *
     * @param d the descriptor, with the server-side type
     * @return the hosted queue
     * @throws IllegalArgumentException when the queue exists with another type, capacity or options,
     *     or the type cannot be hosted
     * @throws BackendNotFoundException when a durable queue is asked for and queue-shm is missing
     * @throws io.grpc.StatusRuntimeException SHUTTING_DOWN when the queue does not exist and the
     *     server is releasing its queues (stopping)
     * @throws QueueLimitException when the server hosts its maximum number of queues, or the queue's
     *     capacity does not fit in its memory
     */
    HostedQueue open(QueueDescriptor d) {
        HostedQueue q = queues.get(key(d.namespace(), d.id()));
        if (q == null) {
            synchronized (this) {
                q = queues.get(key(d.namespace(), d.id()));
                if (q == null) {
                    if (released) {
                        // An Open that reached the server before it stopped: a queue made now would
                        // never be released (a durable one's journal would stay open).
                        throw ErrorKind.SHUTTING_DOWN.toStatus("the queue server is shutting down");
                    }
                    if (queues.size() >= maxQueues) {
                        throw new QueueLimitException("the server hosts its maximum of " + maxQueues
                                + " queues; destroy one or raise maxQueues");
                    }
                    try {
                        q = create(d);
                    } catch (OutOfMemoryError e) {
                        // In-memory stores allocate their capacity up front: one too big for the heap
                        // fails here, before it holds anything, and the server carries on.
                        throw new QueueLimitException("queue " + d.namespace() + "/" + d.id() + " of capacity "
                                + d.capacity() + " does not fit in the queue server's memory: ask for a smaller "
                                + "capacity");
                    }
                    queues.put(key(d.namespace(), d.id()), q);
                    LOG.atInfo().setMessage("queue created").addKeyValue("namespace", d.namespace())
                            .addKeyValue("id", d.id()).addKeyValue("type", q.serverType)
                            .addKeyValue("capacity", d.capacity()).addKeyValue("durable", q.durable)
                            .addKeyValue("broadcast", q.broadcast).log();
                    return q;
                }
            }
        }
        if (!q.descriptor.type().equals(d.type()) || q.descriptor.capacity() != d.capacity()
                || !q.descriptor.options().equals(d.options())) {
            throw new IllegalArgumentException("queue " + d.namespace() + "/" + d.id() + " exists on the server as "
                    + q.descriptor.type() + " with capacity " + q.descriptor.capacity() + " and options "
                    + q.descriptor.options() + "; this descriptor asks for " + d.type() + " with capacity "
                    + d.capacity() + " and options " + d.options());
        }
        return q;
    }

    private HostedQueue create(QueueDescriptor d) {
        boolean durable = d.booleanOption("durable", false);
        boolean broadcast = d.booleanOption("broadcast", false);
        if (durable) {
            if (!d.type().equals(DURABLE_TYPE) && !IN_MEMORY_TYPES.contains(d.type())) {
                throw new IllegalArgumentException("a durable queue has server type " + DURABLE_TYPE + ", not '"
                        + d.type() + "'");
            }
            if (!BackendRegistry.getDefault().types().contains(DURABLE_TYPE)) {
                throw new BackendNotFoundException(DURABLE_TYPE, "queue " + d.namespace() + "/" + d.id()
                        + " asks for durable=true, but this server has no durable journal: add the Maven "
                        + "artifact dev.conduit:queue-shm to the server's class path");
            }
            QueueDescriptor journal = QueueDescriptor.of(DURABLE_TYPE, d.id()).withNamespace(d.namespace())
                    .withCapacity(d.capacity()).withOptions(d.options());
            QueueStore<byte[]> store = BackendRegistry.getDefault().backendFor(DURABLE_TYPE)
                    .open(journal, Codecs.bytes());
            return new HostedQueue(d, DURABLE_TYPE, true, store, maxItemBytes, timer);
        }
        if (!IN_MEMORY_TYPES.contains(d.type())) {
            throw new IllegalArgumentException("option 'serverType' must be local or priority (or durable=true for "
                    + "the journal), not '" + d.type() + "'");
        }
        if (broadcast) {
            Set<Capability> caps = Collections.unmodifiableSet(
                    EnumSet.of(Capability.BROADCAST, Capability.TRANSACTIONS));
            BroadcastStore store = new BroadcastStore(d.capacity(), Backpressure.parse(d.option("backpressure", null)),
                    caps);
            return new HostedQueue(d, d.type(), false, store, maxItemBytes, timer);
        }
        QueueDescriptor local = QueueDescriptor.of(d.type(), "q" + localIds.incrementAndGet())
                .withNamespace(privateNamespace).withCapacity(d.capacity()).withOptions(d.options());
        QueueStore<byte[]> store = BackendRegistry.getDefault().backendFor(d.type()).open(local, Codecs.bytes());
        return new HostedQueue(d, d.type(), false, store, maxItemBytes, timer);
    }

    /**
     * @return the hosted queue, or null when the server does not host it
     */
    HostedQueue get(String namespace, String id) {
        return queues.get(key(namespace, id));
    }

    /**
     * Destroys a hosted queue.
     *
     * @return whether the server hosted it
     */
    boolean destroy(String namespace, String id) {
        HostedQueue q = queues.remove(key(namespace, id));
        if (q == null) {
            return false;
        }
        q.destroy();
        LOG.atInfo().setMessage("queue destroyed").addKeyValue("namespace", namespace).addKeyValue("id", id).log();
        return true;
    }

    /** @return the queues of a namespace, by id */
    List<HostedQueue> list(String namespace) {
        List<HostedQueue> out = new ArrayList<>();
        for (HostedQueue q : queues.values()) {
            if (q.descriptor.namespace().equals(namespace)) {
                out.add(q);
            }
        }
        out.sort(Comparator.comparing(q -> q.descriptor.id()));
        return out;
    }

    /** @return how many queues are hosted */
    int count() {
        return queues.size();
    }

    /** Serves waiting reads of every queue: catches items put by code in this JVM outside the server. */
    void sweep() {
        for (HostedQueue q : queues.values()) {
            q.wakeReaders();
        }
    }

    /**
     * Releases every queue (the server is stopping).
     *
     * @param failure what waiting calls receive
     */
    void releaseAll(RuntimeException failure) {
        synchronized (this) {
            released = true;
        }
        for (String k : List.copyOf(queues.keySet())) {
            HostedQueue q = queues.remove(k);
            if (q != null) {
                try {
                    q.release(failure);
                } catch (RuntimeException e) {
                    LOG.warn("queue {} could not be released cleanly: {}", k, e.toString());
                }
            }
        }
    }

    /** Thrown when the server hosts its maximum number of queues. */
    static final class QueueLimitException extends dev.conduit.queue.QueueException {
        private static final long serialVersionUID = 1L;

        QueueLimitException(String message) {
            super(message);
        }
    }
}
