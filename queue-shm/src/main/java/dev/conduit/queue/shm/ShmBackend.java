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
 * Type {@code shm}: a bounded multi-producer multi-consumer ring in a memory-mapped file of the
 * host's shared-memory directory, opened by name from any process on the host (see
 * {@link RingLayout} and docs/shm.md). With option {@code durable=true} the descriptor opens the
 * Chronicle-backed journal instead ({@link JournalBackend}).
 *
 * <p>Options: {@code itemSize} (bytes per item, default 4096), {@code lanes} (priority lanes,
 * 1–256, default 1), {@code idle} ({@code backoff} or {@code busy-spin}), {@code backpressure},
 * {@code dir}, {@code auto_cleanup}, {@code stallTimeoutMs}, {@code openTimeoutMs},
 * {@code durable}, {@code producers} ({@code multi}, the default, or {@code single}: one producing
 * process at a time, whose puts take no atomic besides the index claim; another process's put is
 * refused while it lives).
 *
 * <p>Thread-safe; cheap to construct.
 */
public final class ShmBackend implements QueueBackend {
    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(
            EnumSet.of(Capability.CROSS_PROCESS, Capability.TRANSACTIONS, Capability.ITEM_SIZE_LIMIT));
    private static final Set<Capability> WITH_PRIORITY = Collections.unmodifiableSet(EnumSet.of(
            Capability.CROSS_PROCESS, Capability.TRANSACTIONS, Capability.ITEM_SIZE_LIMIT, Capability.PRIORITY));

    /** Made by {@link java.util.ServiceLoader}. */
    public ShmBackend() {
    }

    @Override
    public String type() {
        return "shm";
    }

    /**
     * {@inheritDoc}
     *
     * <p>A queue has {@link Capability#PRIORITY} only with {@code lanes=256} (one lane per
     * priority); with fewer lanes, priorities are grouped and FIFO within a group.
     */
    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    /**
     * Creates or attaches to the queue file the descriptor names.
     *
     * @throws IllegalArgumentException naming the option when an option is unusable
     * @throws dev.conduit.queue.QueueException when the file is refused (wrong magic, version,
     *     size or geometry) or cannot be created
     */
    @Override
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        ShmOptions options = ShmOptions.of(descriptor);
        if (options.durable()) {
            return JournalBackend.openJournal(descriptor, codec);
        }
        if (options.autoCleanup()) {
            ShmQueues.cleanup(options.dir());
        }
        SharedRing ring = ShmFile.acquire(options.path(), options.layout(), options.openTimeoutNanos(),
                options.stallTimeoutNanos(), options.confined());
        return new ShmStore<>(descriptor, codec, options, ring,
                options.layout().lanes() == RingLayout.MAX_LANES ? WITH_PRIORITY : CAPABILITIES);
    }
}
