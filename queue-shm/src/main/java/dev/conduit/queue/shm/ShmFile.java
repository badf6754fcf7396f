package dev.conduit.queue.shm;

import dev.conduit.queue.QueueException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Creating, attaching to and naming queue files, and the one {@link SharedRing} per file that all
 * handles of this JVM share (reference-counted).
 *
 * <p>Creation: the creator builds the file under a private name (sizes it, writes the header and
 * every slot's initial sequence, and the magic number last with release semantics), then
 * hard-links it to the queue's name, which fails if another process got there first (exactly one
 * creator wins). An opener that finds a file whose magic is still 0 (made by other means) waits,
 * up to the open timeout, for the magic, then checks everything ({@link RingLayout#read}).
 *
 * <p>Thread-safe.
 */
final class ShmFile {
    /** The system property that overrides the default directory. */
    static final String DIR_PROPERTY = "conduit.shm.dir";
    /** File names are {@code conduit.<namespace>@<id>.shm}; '@' cannot occur in either part. */
    static final String PREFIX = "conduit.";
    static final String SUFFIX = ".shm";
    /** Private files being built: {@code .conduit-tmp-<pid>-<nanos>-<final name>}. */
    static final String TMP_PREFIX = ".conduit-tmp-";

    private static final Map<Path, Attachment> ATTACHED = new HashMap<>();

    private ShmFile() {
    }

    private static final class Attachment {
        final SharedRing ring;
        int handles;

        Attachment(SharedRing ring) {
            this.ring = ring;
        }
    }

    /**
     * The directory queue files live in when the descriptor names none: the system property
     * {@value #DIR_PROPERTY}, else Linux's {@code /dev/shm} (tmpfs), else {@code java.io.tmpdir}.
     *
     * @return the directory
     */
    static Path defaultDir() {
        String configured = System.getProperty(DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    static Path pathFor(Path dir, String namespace, String id) {
        return dir.resolve(PREFIX + namespace + "@" + id + SUFFIX);
    }

    /** @return {namespace, id} for a queue file name, or null when the name is not one */
    static String[] parseName(String fileName) {
        if (!fileName.startsWith(PREFIX) || !fileName.endsWith(SUFFIX)) {
            return null;
        }
        String core = fileName.substring(PREFIX.length(), fileName.length() - SUFFIX.length());
        int at = core.indexOf('@');
        return at <= 0 || at == core.length() - 1 ? null : new String[] {core.substring(0, at), core.substring(at + 1)};
    }

    /**
     * Creates the file or attaches to it, and returns this JVM's shared ring on it (one more handle).
     *
     * @param path the file
     * @param wanted the geometry the descriptor asks for; an existing file must match it
     * @param openTimeoutNanos how long to wait for another process to finish creating it
     * @param stallTimeoutNanos see {@link SharedRing}
     * @return the ring
     * @throws QueueException when the file cannot be created, or is refused
     */
    static SharedRing acquire(Path path, RingLayout wanted, long openTimeoutNanos, long stallTimeoutNanos) {
        return acquire(path, wanted, openTimeoutNanos, stallTimeoutNanos, false);
    }

    /**
     * As {@link #acquire(Path, RingLayout, long, long)}, for a handle that is thread-confined or not
     * (option {@code threads}): every handle of this process on one file shares its ring, whose
     * producer and consumer sides are confined to one thread each or shared by all threads, so all
     * of them must ask for the same.
     *
     * @param confined whether the handle is thread-confined ({@code threads=confined})
     * @return the ring
     * @throws QueueException also when this process has the file open with the other {@code threads}
     */
    static SharedRing acquire(Path path, RingLayout wanted, long openTimeoutNanos, long stallTimeoutNanos,
            boolean confined) {
        Path key = path.toAbsolutePath().normalize();
        synchronized (ATTACHED) {
            Attachment a = ATTACHED.get(key);
            if (a != null && !a.ring.isDestroyed() && Files.exists(key)) {
                checkGeometry(a.ring.layout, wanted, key.toString());
                if (a.ring.isConfined() != confined) {
                    throw new QueueException("shared-memory queue " + key + " is open in this process with threads="
                            + (a.ring.isConfined() ? "confined" : "shared") + ", and a handle with threads="
                            + (confined ? "confined" : "shared") + " was asked for: the handles of one process on a"
                            + " queue share its producer and consumer sides, so they must all use the same 'threads'"
                            + " option");
                }
                a.handles++;
                return a.ring;
            }
            // File channels are interruptible: an interrupt would close them mid-open. Keep the flag
            // for the operation that follows, which reports it as InterruptedException.
            boolean interrupted = Thread.interrupted();
            SharedRing ring;
            try {
                ring = openOrCreate(key, wanted, openTimeoutNanos, stallTimeoutNanos);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            ring.setConfined(confined);
            a = new Attachment(ring);
            a.handles = 1;
            ATTACHED.put(key, a);
            return ring;
        }
    }

    /**
     * Gives back one handle; the last one marks this process detached in the users table.
     *
     * @param path the file
     * @param ring the ring from {@link #acquire}
     */
    static void release(Path path, SharedRing ring) {
        Path key = path.toAbsolutePath().normalize();
        synchronized (ATTACHED) {
            Attachment a = ATTACHED.get(key);
            if (a != null && a.ring == ring && --a.handles == 0) {
                ATTACHED.remove(key);
                ring.releaseProducerRole();
                ring.releaseConsumerRole();
                ring.users().detach();
            } else if (a == null || a.ring != ring) {
                ring.releaseProducerRole();
                ring.releaseConsumerRole();
                ring.users().detach();
            }
        }
    }

    /**
     * Removes the file and tells every process that has it mapped that it is gone.
     *
     * @param path the file
     * @param ring a ring on it
     */
    static void destroy(Path path, SharedRing ring) {
        Path key = path.toAbsolutePath().normalize();
        synchronized (ATTACHED) {
            ring.markDestroyed();
            ring.releaseProducerRole();
            ring.releaseConsumerRole();
            ring.users().detach();
            Attachment a = ATTACHED.get(key);
            if (a != null && a.ring == ring) {
                ATTACHED.remove(key);
            }
            try {
                Files.deleteIfExists(key);
            } catch (IOException e) {
                throw new QueueException("could not delete shared-memory queue file " + key + ": " + e.getMessage(), e);
            }
        }
    }

    private static SharedRing openOrCreate(Path path, RingLayout wanted, long openTimeoutNanos,
            long stallTimeoutNanos) {
        String name = path.toString();
        try {
            Files.createDirectories(path.getParent());
        } catch (IOException e) {
            throw new QueueException("cannot create directory " + path.getParent() + " for shared-memory queues: "
                    + e.getMessage(), e);
        }
        if (Files.exists(path)) {
            return attach(path, name, wanted, openTimeoutNanos, stallTimeoutNanos);
        }
        // Build the whole file under a private name, then hard-link it into place: the link fails
        // if another process got there first, and a creator killed half-way leaves only its
        // private file behind (ShmQueues.cleanup removes it), never a half-made queue.
        Path tmp = path.resolveSibling(TMP_PREFIX + ProcessIdentity.current().pid() + "-" + System.nanoTime() + "-"
                + path.getFileName());
        SharedRing ring;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ring = create(ch, path, wanted, stallTimeoutNanos);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new QueueException("cannot create shared-memory queue file " + name + ": " + e.getMessage(), e);
        }
        try {
            Files.createLink(path, tmp);
            return ring;
        } catch (FileAlreadyExistsException e) {
            return attach(path, name, wanted, openTimeoutNanos, stallTimeoutNanos);
        } catch (IOException | UnsupportedOperationException e) {
            throw new QueueException("cannot create shared-memory queue file " + name + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            // best effort: ShmQueues.cleanup removes leftovers of dead processes
        }
    }

    private static SharedRing create(FileChannel ch, Path path, RingLayout layout, long stallTimeoutNanos)
            throws IOException {
        ch.write(ByteBuffer.wrap(new byte[1]), layout.fileLength() - 1);
        MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, layout.fileLength());
        buf.order(ByteOrder.nativeOrder());
        ProcessIdentity me = ProcessIdentity.current();
        layout.writeHeaderWithoutMagic(buf, me.pid(), me.startMillis(), System.currentTimeMillis());
        ShmUsers users = ShmUsers.attach(buf, path.toString());
        // Openers wait for the magic: it is the release that publishes everything above.
        SharedRing.LONG.setRelease(buf, RingLayout.MAGIC_OFFSET, RingLayout.MAGIC);
        return new SharedRing(path.toString(), buf, layout, users, stallTimeoutNanos);
    }

    private static SharedRing attach(Path path, String name, RingLayout wanted, long openTimeoutNanos,
            long stallTimeoutNanos) {
        long deadline = System.nanoTime() + openTimeoutNanos;
        for (;;) {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long size = ch.size();
                if (size >= RingLayout.LANES_TABLE_OFFSET && size <= RingLayout.MAX_FILE_LENGTH) {
                    MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
                    buf.order(ByteOrder.nativeOrder());
                    long magic = (long) SharedRing.LONG.getAcquire(buf, RingLayout.MAGIC_OFFSET);
                    if (magic != 0 || System.nanoTime() - deadline > 0) {
                        return check(buf, size, path, name, wanted, stallTimeoutNanos);
                    }
                } else if (System.nanoTime() - deadline > 0) {
                    RingLayout.read(ByteBuffer.allocate(0), size, name);
                }
            } catch (NoSuchFileException e) {
                // Destroyed between our CREATE_NEW and our open: create it again.
                return openOrCreate(path, wanted, Math.max(0, deadline - System.nanoTime()), stallTimeoutNanos);
            } catch (IOException e) {
                throw new QueueException("cannot open shared-memory queue file " + name + ": " + e.getMessage(), e);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QueueException("interrupted while waiting for " + name + " to be initialized", e);
            }
        }
    }

    private static void checkGeometry(RingLayout layout, RingLayout wanted, String name) {
        if (layout.capacity() != wanted.capacity() || layout.itemSize() != wanted.itemSize()
                || layout.lanes() != wanted.lanes() || layout.singleProducer() != wanted.singleProducer()
                || layout.singleConsumer() != wanted.singleConsumer()) {
            throw new QueueException("shared-memory queue " + name + " exists with capacity " + layout.capacity()
                    + ", itemSize " + layout.itemSize() + ", lanes " + layout.lanes() + ", producers "
                    + producers(layout) + ", consumers " + consumers(layout) + "; the descriptor asks for "
                    + wanted.capacity() + ", " + wanted.itemSize() + ", " + wanted.lanes() + ", " + producers(wanted)
                    + ", " + consumers(wanted)
                    + ": open it with the descriptor it was created with");
        }
    }

    private static String producers(RingLayout layout) {
        return layout.singleProducer() ? "single" : "multi";
    }

    private static String consumers(RingLayout layout) {
        return layout.singleConsumer() ? "single" : "multi";
    }

    private static SharedRing check(MappedByteBuffer buf, long size, Path path, String name, RingLayout wanted,
            long stallTimeoutNanos) {
        RingLayout layout = RingLayout.read(buf, size, name);
        checkGeometry(layout, wanted, name);
        if (buf.getLong(RingLayout.STATE_OFFSET) == RingLayout.STATE_DESTROYED) {
            throw new QueueException("shared-memory queue " + name + " was destroyed");
        }
        ShmUsers users = ShmUsers.attach(buf, name);
        SharedRing ring = new SharedRing(name, buf, layout, users, stallTimeoutNanos);
        for (int lane = 0; lane < layout.lanes(); lane++) {
            if (!ring.laneIsConsistent(lane)) {
                users.detach();
                throw new QueueException("shared-memory queue file " + name + " was refused: the indices of lane "
                        + lane + " are inconsistent (producer " + ring.producerIndex(lane) + ", consumer "
                        + ring.consumerIndex(lane) + ", capacity " + layout.capacity() + ")");
            }
        }
        return ring;
    }
}
