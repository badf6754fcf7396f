package dev.conduit.queue.ray;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueBackend;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Type {@code ray}: each queue lives in a named, detached Ray actor ({@link QueueActor}) that any
 * driver or worker of the cluster finds by name, so a descriptor sent to a Ray task on another
 * node opens the same queue there. Items travel as codec bytes; the actor never decodes them.
 *
 * <p>Options are listed on {@link RayQueueOptions}. The Ray runtime is started on first use when
 * none runs in this JVM ({@code Ray.init()}, which honours {@code -Dray.address}); see docs/ray.md
 * for the class path and JVM flags it needs.
 *
 * <p>{@link #isAvailable()} is false when Ray's API or runtime classes are not on the class path,
 * so this class itself never links against Ray. Thread-safe.
 */
public final class RayBackend implements QueueBackend {
    /** What every ray queue can do. */
    static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
            Capability.CROSS_PROCESS, Capability.DISTRIBUTED, Capability.PRIORITY, Capability.TRANSACTIONS,
            Capability.ITEM_SIZE_LIMIT));
    private static final String[] REQUIRED_CLASSES = {"io.ray.api.Ray", "io.ray.runtime.DefaultRayRuntimeFactory"};

    /** Made by {@link java.util.ServiceLoader}. */
    public RayBackend() {
    }

    @Override
    public String type() {
        return "ray";
    }

    /**
     * Whether Ray's API and its runtime ({@code ray_dist.jar}, or {@code io.ray:ray-runtime}) can be
     * loaded. Does not start or contact Ray.
     *
     * @return true when both are on the class path
     */
    @Override
    public boolean isAvailable() {
        ClassLoader loader = RayBackend.class.getClassLoader();
        for (String name : REQUIRED_CLASSES) {
            try {
                Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    /**
     * Finds the queue's actor by name, or creates it; starts this JVM's Ray runtime first if none
     * runs.
     *
     * @throws IllegalArgumentException naming the option when an option is malformed
     * @throws dev.conduit.queue.QueueException when Ray cannot start or the actor cannot be reached
     */
    @Override
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        return RayQueues.open(descriptor, codec);
    }

    /**
     * Kills the shared host actor (option {@code host}) that holds the descriptor's queue, and with
     * it every queue on that host and their items; handles on them then get
     * {@link dev.conduit.queue.QueueClosedException}. Starts this JVM's Ray runtime if none runs.
     *
     * @param descriptor a {@code ray} descriptor with option {@code host}
     * @return true if the host was running
     * @throws IllegalArgumentException if the descriptor names no host, or an option is malformed
     * @throws dev.conduit.queue.QueueException if Ray cannot start
     */
    public static boolean destroyHost(QueueDescriptor descriptor) {
        return RayQueues.destroyHost(descriptor);
    }
}
