package dev.conduit.queue.shm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What {@link JournalQueues#list} reports about one durable journal: read from its state and
 * cursor files without opening Chronicle (so without Chronicle's JVM flags) and without the
 * journal's lock, so the counts are a snapshot that a concurrent put or get may already have
 * changed. Immutable.
 *
 * @param dir the journal's directory
 * @param namespace the queue's namespace
 * @param id the queue's id
 * @param appended items ever put, or -1 when the journal was refused
 * @param unread per subscriber, the items it has not read yet (its queue size); the default
 *     subscriber, the one a plain handle reads as, is {@code "default"}
 * @param age time since the journal was last written
 * @param problem why the journal could not be read, when it could not
 */
public record JournalInfo(Path dir, String namespace, String id, long appended, Map<String, Long> unread,
        Duration age, Optional<String> problem) {
    /** A journal's directory is this prefix, then {@code namespace@id}. */
    static final String DIRECTORY_PREFIX = "journal.";

    /**
     * Copies {@code unread}, so the record stays immutable.
     *
     * @param dir the journal's directory
     * @param namespace the queue's namespace
     * @param id the queue's id
     * @param appended items ever put, or -1 when the journal was refused
     * @param unread per subscriber, the items it has not read yet
     * @param age time since the journal was last written
     * @param problem why the journal could not be read, when it could not
     */
    public JournalInfo {
        unread = Map.copyOf(unread);
    }

    /** @return the items the default subscriber has not read yet: the size a plain handle reports */
    public long size() {
        return unread.getOrDefault(JournalStore.DEFAULT_SUBSCRIBER, Math.max(appended, 0));
    }

    /**
     * Reads the journal in {@code dir}, if {@code dir} is one.
     *
     * @param dir a directory named {@code journal.NAMESPACE@ID} that holds a state file
     * @return what it holds, or empty when {@code dir} is not a journal
     */
    static Optional<JournalInfo> read(Path dir) {
        String name = dir.getFileName().toString();
        int at = name.indexOf('@');
        Path state = dir.resolve(Journal.STATE_FILE);
        if (!name.startsWith(DIRECTORY_PREFIX) || at <= DIRECTORY_PREFIX.length() || at == name.length() - 1
                || !Files.isRegularFile(state)) {
            return Optional.empty();
        }
        String namespace = name.substring(DIRECTORY_PREFIX.length(), at);
        String id = name.substring(at + 1);
        try {
            long appended = readLong(state, Journal.APPENDED);
            Map<String, Long> unread = new TreeMap<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path cursor : files.filter(f -> f.getFileName().toString().startsWith(Journal.CURSOR_PREFIX))
                        .toList()) {
                    long next = readLong(cursor, Journal.CURSOR_NEXT);
                    unread.put(cursor.getFileName().toString().substring(Journal.CURSOR_PREFIX.length()),
                            Math.max(0, appended - next));
                }
            }
            Duration age = Duration.between(Files.getLastModifiedTime(state).toInstant(), Instant.now());
            return Optional.of(new JournalInfo(dir, namespace, id, appended, unread,
                    age.isNegative() ? Duration.ZERO : age, Optional.empty()));
        } catch (IOException | RuntimeException e) {
            return Optional.of(new JournalInfo(dir, namespace, id, -1, Map.of(), Duration.ZERO,
                    Optional.of("cannot read " + dir + ": " + e.getMessage())));
        }
    }

    private static long readLong(Path file, int offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) {
                    throw new IOException(file.getFileName() + " is shorter than " + (offset + Long.BYTES) + " bytes");
                }
            }
        }
        return b.flip().getLong();
    }
}
