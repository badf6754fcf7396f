package dev.conduit.queue.spi;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import java.util.Set;

/**
 * A queue type, found through {@link java.util.ServiceLoader}. A backend jar lists its
 * implementation in {@code META-INF/services/dev.conduit.queue.spi.QueueBackend} and declares
 * {@code provides} in its {@code module-info.java}.
 *
 * <p>Implementations must be thread-safe and cheap to construct: the registry instantiates every
 * provider on the class path once, when the first queue is used.
 */
public interface QueueBackend {

    /**
     * The descriptor type this backend serves.
     *
     * @return for example {@code "local"}
     */
    String type();

    /**
     * Whether this backend can work here (its native pieces, its runtime, its platform). An
     * unavailable backend is skipped by the registry.
     *
     * @return true when usable
     */
    default boolean isAvailable() {
        return true;
    }

    /**
     * How much this backend wants to be chosen when several serve the same type, 0 to 10. Ties are
     * broken by class name.
     *
     * @return the priority; 5 by default
     */
    default int priority() {
        return 5;
    }

    /**
     * What this backend can do.
     *
     * @return the capabilities
     */
    Set<Capability> capabilities();

    /**
     * Creates or attaches to the queue a descriptor names. Called on a handle's first operation,
     * not when the handle is made.
     *
     * @param <T> the item type
     * @param descriptor the queue, of this backend's type
     * @param codec how items become bytes (in-JVM backends may ignore it)
     * @return the store behind one handle
     * @throws IllegalArgumentException naming the option when the descriptor is unusable
     * @throws dev.conduit.queue.QueueException when the queue cannot be opened
     */
    <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec);
}
