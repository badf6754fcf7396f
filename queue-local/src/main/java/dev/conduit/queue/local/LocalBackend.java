package dev.conduit.queue.local;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueBackend;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Type {@code local}: a bounded lock-free MPMC queue inside this JVM, named by namespace and id,
 * so every handle opened from an equal descriptor reaches the same queue. Items stay Java objects
 * (the codec is not used). Option {@code backpressure}: BLOCK (default), REJECT or DROP_OLDEST.
 * Priorities are accepted and ignored (FIFO).
 */
public final class LocalBackend implements QueueBackend {
    private static final Set<Capability> CAPABILITIES =
            Collections.unmodifiableSet(EnumSet.of(Capability.IN_JVM, Capability.TRANSACTIONS));

    /** Made by {@link java.util.ServiceLoader}. */
    public LocalBackend() {
    }

    @Override
    public String type() {
        return "local";
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        return new LocalStore<>(LocalQueues.open(descriptor), CAPABILITIES);
    }
}
