package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finding and removing {@code shm} queue files: the seed's listing of queues and its
 * {@code auto_cleanup}, which read files without attaching to them (the users table is not
 * touched); and {@link #reader}, the zero-copy reader of a one-to-one queue.
 *
 * <p>Thread-safe (stateless).
 */
public final class ShmQueues {
    private ShmQueues() {
    }

    /** @return the directory queues use when the descriptor names none */
    public static Path defaultDirectory() {
        return ShmFile.defaultDir();
    }

    /**
     * Every queue file in a directory, with its size, capacity, live users and age. Files that
     * are damaged are listed with {@link ShmQueueInfo#problem()} set, never thrown.
     *
     * @param dir the directory; a missing directory has no queues
     * @return the queues, sorted by file name
     * @throws QueueException when the directory cannot be read
     */
    public static List<ShmQueueInfo> list(Path dir) {
        List<ShmQueueInfo> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ShmFile.PREFIX + "*" + ShmFile.SUFFIX)) {
            for (Path f : files) {
                String[] name = ShmFile.parseName(f.getFileName().toString());
                if (name != null) {
                    ShmQueueInfo info = inspect(f, name[0], name[1]);
                    if (info != null) {
                        out.add(info);
                    }
                }
            }
        } catch (IOException e) {
            throw new QueueException("cannot list shared-memory queues in " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(i -> i.file().getFileName().toString()));
        return out;
    }

    /**
     * Removes the queue files of a directory that no live process uses: every process that
     * attached, and the creator, is dead (or detached). Damaged files are left alone.
     *
     * @param dir the directory
     * @return the files removed
     * @throws QueueException when the directory cannot be read
     */
    public static List<Path> cleanup(Path dir) {
        List<Path> removed = new ArrayList<>();
        removeLeftoversOfDeadCreators(dir, removed);
        for (ShmQueueInfo info : list(dir)) {
            if (info.problem().isEmpty() && info.isStale()) {
                try {
                    if (Files.deleteIfExists(info.file())) {
                        removed.add(info.file());
                    }
                } catch (IOException e) {
                    // Another process removed or locked it: not ours to fix.
                }
            }
        }
        return removed;
    }

    /**
     * Opens a zero-copy reader on a one-to-one queue ({@code producers=single},
     * {@code consumers=single}; docs/shm.md, "Zero-copy reading"): a handle of its own, which
     * attaches to the queue (creating it, as opening a descriptor does) and shares this process's
     * consumer role with the process's other handles on it.
     *
     * <p>A reader takes the bytes of each item, not a decoded item, so it is opened from the
     * descriptor rather than from a {@link dev.conduit.queue.MessageQueue}, whose contract gives no
     * way to reach its backend's ring.
     *
     * @param descriptor the queue: type {@code shm}, with {@code producers=single} and
     *     {@code consumers=single}, optionally {@code threads=confined}; not {@code durable=true}
     * @return the reader; close it when done
     * @throws IllegalArgumentException naming the options when the descriptor is not such a queue
     * @throws QueueException when the file is refused, as opening the descriptor would be
     */
    @SuppressWarnings("unchecked")
    public static ShmReader reader(QueueDescriptor descriptor) {
        Objects.requireNonNull(descriptor, "descriptor");
        String what = "ShmQueues.reader reads a one-to-one shm queue in place (type shm with producers=single and"
                + " consumers=single, not durable)";
        if (!"shm".equals(descriptor.type())) {
            throw new IllegalArgumentException(what + "; queue " + descriptor.qualifiedName() + " is of type '"
                    + descriptor.type() + "'. Use get or getBatch on it");
        }
        ShmOptions options = ShmOptions.of(descriptor);
        if (options.durable()) {
            throw new IllegalArgumentException(what + "; queue " + descriptor.qualifiedName() + " has durable=true:"
                    + " the journal has no ring to read in place. Use get or getBatch on it");
        }
        if (!options.layout().singleConsumer()) {
            throw new IllegalArgumentException(what + "; queue " + descriptor.qualifiedName() + " has consumers="
                    + descriptor.option("consumers", "multi") + ": several consumers take from its slots one at"
                    + " a time, which a read in place cannot share. Open it with producers=single and"
                    + " consumers=single, or use get or getBatch");
        }
        return new ShmReader((ShmStore<byte[]>) new ShmBackend().open(descriptor, Codecs.bytes()),
                descriptor);
    }

    /** Private files of creators that died before linking them into place. */
    private static void removeLeftoversOfDeadCreators(Path dir, List<Path> removed) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ShmFile.TMP_PREFIX + "*")) {
            for (Path f : files) {
                String rest = f.getFileName().toString().substring(ShmFile.TMP_PREFIX.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(rest.substring(0, Math.max(0, dash)));
                    if (!ProcessIdentity.isAlive(pid, 0) && Files.deleteIfExists(f)) {
                        removed.add(f);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not ours, or gone already
                }
            }
        } catch (IOException e) {
            throw new QueueException("cannot list shared-memory queues in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static ShmQueueInfo inspect(Path f, String namespace, String id) {
        long now = System.currentTimeMillis();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long length = ch.size();
            Duration modifiedAgo = Duration.ofMillis(Math.max(0, now - Files.getLastModifiedTime(f).toMillis()));
            if (length < RingLayout.LANES_TABLE_OFFSET || length > RingLayout.MAX_FILE_LENGTH) {
                return refused(f, namespace, id, modifiedAgo, "it is " + length + " bytes long, not a queue file");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, length);
            buf.order(ByteOrder.nativeOrder());
            RingLayout layout;
            try {
                layout = RingLayout.read(buf, length, f.toString());
            } catch (QueueException e) {
                return refused(f, namespace, id, modifiedAgo, e.getMessage());
            }
            long size = 0;
            for (int lane = 0; lane < layout.lanes(); lane++) {
                int base = layout.laneOffset(lane);
                size += Math.max(0, Math.min(layout.capacity(),
                        buf.getLong(base + RingLayout.PRODUCER_INDEX) - buf.getLong(base + RingLayout.CONSUMER_INDEX)));
            }
            boolean creatorAlive = ProcessIdentity.isAlive(buf.getLong(RingLayout.CREATOR_PID_OFFSET),
                    buf.getLong(RingLayout.CREATOR_START_OFFSET));
            long created = buf.getLong(RingLayout.CREATED_AT_OFFSET);
            return new ShmQueueInfo(f, namespace, id, size, layout.capacity(), layout.lanes(), layout.itemSize(),
                    ShmUsers.liveAttached(buf), creatorAlive, Duration.ofMillis(Math.max(0, now - created)),
                    Optional.empty());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return refused(f, namespace, id, Duration.ZERO, "it cannot be read: " + e.getMessage());
        }
    }

    private static ShmQueueInfo refused(Path f, String namespace, String id, Duration age, String problem) {
        return new ShmQueueInfo(f, namespace, id, -1, -1, -1, -1, 0, false, age, Optional.of(problem));
    }
}
