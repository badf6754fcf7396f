package dev.conduit.queue.rpc;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.rpc.proto.ListQueuesRequest;
import dev.conduit.queue.rpc.proto.Metrics;
import dev.conduit.queue.rpc.proto.QueueInfo;
import java.util.ArrayList;
import java.util.List;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueBackend;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Type {@code rpc}: a queue hosted by a {@link QueueServer}, reached over gRPC. Make descriptors
 * with {@link QueueDescriptor#rpc(String, int, String)}; the options are described in
 * {@code RpcOptions} and docs/rpc.md ({@code tls}, {@code trustCertPath}, {@code token},
 * {@code tokenEnv}, {@code serverType}, {@code durable}, {@code broadcast}, ...). Opening a queue
 * connects to the server and creates the queue there if it does not exist yet.
 *
 * <p>The capabilities below are the most a queue may have; a handle's own come from the server
 * (PRIORITY with {@code serverType=priority}, BROADCAST with {@code broadcast=true}, DURABLE with
 * {@code durable=true}).
 *
 * <p>Thread-safe.
 */
public final class RpcBackend implements QueueBackend {
    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.CROSS_PROCESS, Capability.DISTRIBUTED, Capability.TRANSACTIONS, Capability.PRIORITY,
            Capability.BROADCAST, Capability.DURABLE, Capability.ITEM_SIZE_LIMIT));

    /** Made by {@link java.util.ServiceLoader}. */
    public RpcBackend() {
    }

    @Override
    public String type() {
        return "rpc";
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    /**
     * Connects to the descriptor's server and opens (or creates) the queue there. A server that
     * cannot be reached is tried once: the store's first call retries it for {@code reconnectMillis},
     * then throws {@link ServerUnavailableException}.
     *
     * @throws IllegalArgumentException naming the option when the descriptor is unusable
     * @throws dev.conduit.queue.AccessDeniedException when the token does not open the namespace
     */
    @Override
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        RemoteQueue remote = new RemoteQueue(descriptor);
        RpcStore<T> store;
        try {
            store = new RpcStore<>(remote, codec, "");
        } catch (RuntimeException e) {
            // A refused option (backpressure): give the channel back, as close() would.
            remote.release();
            throw e;
        }
        try {
            store.connect();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * The queues a server hosts in one namespace, with their metrics: the server, namespace, TLS
     * setup and token are the given descriptor's (its id does not matter, and no queue is created).
     *
     * @param anyQueue an rpc descriptor naming the server and namespace
     * @return the queues, by id
     * @throws dev.conduit.queue.AccessDeniedException when the token does not open the namespace
     * @throws ServerUnavailableException when the server cannot be reached
     */
    public static List<RemoteQueueInfo> listQueues(QueueDescriptor anyQueue) {
        RemoteQueue remote = new RemoteQueue(anyQueue);
        try {
            List<QueueInfo> infos = remote.unopened("listQueues", (stub, ref) -> stub.listQueues(
                    ListQueuesRequest.newBuilder().setNamespace(anyQueue.namespace()).build())).getQueuesList();
            List<RemoteQueueInfo> out = new ArrayList<>(infos.size());
            for (QueueInfo i : infos) {
                Metrics m = i.getMetrics();
                out.add(new RemoteQueueInfo(QueueDescriptor.fromJson(i.getDescriptorJson()), i.getServerType(),
                        new QueueMetrics(m.getSize(), m.getCapacity(), m.getPuts(), m.getGets(), m.getRejected(),
                                m.getDropped(), m.getWaits(), m.getBytesIn(), m.getBytesOut(), m.getMaxItemBytes(), m.getCleared())));
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new dev.conduit.queue.QueueException("interrupted while listing queues", e);
        } finally {
            remote.release();
        }
    }
}
