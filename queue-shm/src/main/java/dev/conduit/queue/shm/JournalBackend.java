package dev.conduit.queue.shm;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueBackend;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Type {@code journal}: a durable queue (not yet implemented).
 *
 * <p>Thread-safe.
 */
public final class JournalBackend implements QueueBackend {
    /** Made by {@link java.util.ServiceLoader}. */
    public JournalBackend() {
    }

    @Override
    public String type() {
        return "journal";
    }

    @Override
    public Set<Capability> capabilities() {
        return Collections.unmodifiableSet(EnumSet.of(Capability.DURABLE));
    }

    @Override
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        return openJournal(descriptor, codec);
    }

    static <T> QueueStore<T> openJournal(QueueDescriptor descriptor, Codec<T> codec) {
        throw new QueueException("the journal is not implemented yet");
    }
}
