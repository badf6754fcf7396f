package dev.conduit.queue.shm;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueBackend;
import dev.conduit.queue.spi.QueueStore;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Type {@code journal} (also {@code shm} with {@code durable=true}): a durable queue on Chronicle
 * Queue. Items survive the end of every process and a reboot (in the default directory under the
 * user's home); named subscribers ({@link dev.conduit.queue.MessageQueue#subscriber}) each see
 * every item and resume where they stopped; {@link JournalQueues#replay} moves a subscriber to any
 * position. The plain handle is the subscriber {@code "default"}, shared by every process:
 * competing consumers, each item to one of them, bounded by the capacity.
 *
 * <p>Chronicle is loaded only when a journal is opened; it needs the JVM flags in
 * docs/shm.md, and opening fails with a message listing them when they are missing.
 *
 * <p>Thread-safe; cheap to construct.
 */
public final class JournalBackend implements QueueBackend {
    static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(Capability.DURABLE,
            Capability.BROADCAST, Capability.CROSS_PROCESS, Capability.TRANSACTIONS));
    /** Made by {@link java.util.ServiceLoader}. */
    public JournalBackend() {
    }

    @Override
    public String type() {
        return "journal";
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    /** @return whether chronicle-queue is on the class path */
    @Override
    public boolean isAvailable() {
        return ChronicleFlags.chronicleOnClassPath();
    }

    @Override
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        return openJournal(descriptor, codec);
    }

    /**
     * Opens a journal; shared with {@link ShmBackend} for {@code durable=true}.
     *
     * @throws dev.conduit.queue.QueueException when Chronicle or one of its JVM flags is missing
     */
    static <T> QueueStore<T> openJournal(QueueDescriptor descriptor, Codec<T> codec) {
        ChronicleFlags.check();
        return JournalStore.open(descriptor, codec);
    }
}
