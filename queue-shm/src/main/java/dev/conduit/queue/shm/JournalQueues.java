package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;

/**
 * Operations on a durable journal beyond the {@link dev.conduit.queue.MessageQueue} contract.
 * Thread-safe (stateless).
 */
public final class JournalQueues {
    private JournalQueues() {
    }

    /**
     * Moves a subscriber so that its next read is the item of sequence number {@code position}
     * (0 is the first item ever put); later positions are clamped to the end.
     *
     * @param descriptor the journal (type {@code journal}, or {@code shm} with {@code durable=true})
     * @param subscriber the subscriber name; {@code "default"} is the plain handle's
     * @param position the sequence number to read next
     * @throws dev.conduit.queue.QueueException when Chronicle or one of its JVM flags is missing
     */
    public static void replay(QueueDescriptor descriptor, String subscriber, long position) {
        ChronicleFlags.check();
        JournalStore<byte[]> store = JournalStore.open(descriptor, Codecs.bytes());
        ((JournalStore<byte[]>) store.subscriber(subscriber)).replay(position);
    }
}
