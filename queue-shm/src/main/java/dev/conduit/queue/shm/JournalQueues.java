package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Operations on durable journals beyond the {@link dev.conduit.queue.MessageQueue} contract:
 * where they live, listing them, replaying a subscriber, and the JVM flags Chronicle needs.
 * Thread-safe (stateless).
 */
public final class JournalQueues {
    private JournalQueues() {
    }

    /**
     * Where journals go when the descriptor names no {@code dir}: system property
     * {@code conduit.journal.dir}, else {@code ~/.conduit/journal} (persistent storage, unlike
     * the ring's tmpfs).
     *
     * @return the directory (it may not exist yet)
     */
    public static Path defaultDirectory() {
        String dir = System.getProperty("conduit.journal.dir");
        return dir != null ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".conduit", "journal");
    }

    /**
     * The journals in a directory (shm descriptors with {@code durable=true} and {@code journal}
     * descriptors put theirs in the same directory), sorted by namespace and id. Reads each
     * journal's own files only: Chronicle is not opened, so no JVM flag is needed.
     *
     * @param dir the directory; a missing one holds no journal
     * @return one entry per journal; a journal that cannot be read has its {@code problem}
     * @throws QueueException if the directory cannot be listed
     */
    public static List<JournalInfo> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory)
                    .map(JournalInfo::read)
                    .flatMap(Optional::stream)
                    .sorted(Comparator.comparing(JournalInfo::namespace).thenComparing(JournalInfo::id))
                    .toList();
        } catch (IOException e) {
            throw new QueueException("cannot list journals in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The JVM flags Chronicle Queue needs on Java 17 and later, for a process that starts other
     * JVMs which open journals (or run Chronicle itself).
     *
     * @return the flags, one per element
     */
    public static List<String> jvmFlags() {
        return List.of(ChronicleFlags.commandLine().split(" "));
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
