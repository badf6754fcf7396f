package dev.conduit.queue.shm;

import dev.conduit.queue.QueueException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.FileLockInterruptionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * One journal directory, shared by every handle of this JVM: a Chronicle queue of documents
 * {@code [sequence:long][length:int][payload]}, a state file with the count of documents
 * appended, and one cursor file per subscriber {@code [next sequence][index of the last document
 * read, or -1]}. Every read-modify-write of the state and cursors happens under a lock that is
 * both a JVM lock and a file lock, so processes and threads take turns: a batch appended under
 * one lock hold is seen whole or not at all, and each document goes to one consumer of a
 * subscriber.
 *
 * <p>Thread-safe.
 */
final class Journal {
    private static final Map<Path, Journal> OPEN = new HashMap<>();
    /** The state file, beside Chronicle's directory: {@code [appended][bytes in][rejected]}. */
    static final String STATE_FILE = "conduit.state";
    /** The file whose lock (taken whole, with {@link FileChannel#lock()}) every process takes turns on. */
    static final String LOCK_FILE = "conduit.lock";
    /** A subscriber's cursor file is this prefix and its name: {@code [next sequence][last index]...}. */
    static final String CURSOR_PREFIX = "cursor-";
    /** Offset of the count of documents appended, in the state file. */
    static final int APPENDED = 0;
    private static final int BYTES_IN = 8;
    private static final int REJECTED = 16;
    /** Offset of a subscriber's next sequence number, in its cursor file. */
    static final int CURSOR_NEXT = 0;
    private static final int CURSOR_LAST_INDEX = 8;
    private static final int CURSOR_BYTES_OUT = 16;
    private static final int CURSOR_CLEARED = 24;
    private static final int CURSOR_LENGTH = 64;

    final Path dir;
    private final ChronicleQueue queue;
    private volatile FileChannel lockChannel;
    private final MappedByteBuffer state;
    private final ReentrantLock jvmLock = new ReentrantLock();
    private final Map<String, MappedByteBuffer> cursors = new java.util.concurrent.ConcurrentHashMap<>();
    private final ThreadLocal<ExcerptAppender> appenders;
    /** Chronicle tailers are single-threaded and slow to make: one per thread, kept. */
    private final ThreadLocal<Reader> readers;

    /** A thread's tailer and the index of the document it stands just after (-1: the start). */
    private static final class Reader {
        final ExcerptTailer tailer;
        long after = Long.MIN_VALUE;

        Reader(ExcerptTailer tailer) {
            this.tailer = tailer;
        }
    }

    private Journal(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        this.queue = ChronicleQueue.singleBuilder(dir.resolve("chronicle")).build();
        this.appenders = ThreadLocal.withInitial(queue::createAppender);
        this.readers = ThreadLocal.withInitial(() -> new Reader(queue.createTailer()));
        this.lockChannel = openLockChannel(dir);
        this.state = map(dir.resolve(STATE_FILE));
        locked(() -> {
            recoverAppendedCount();
            return null;
        });
    }

    static synchronized Journal open(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        // File channels are interruptible: keep the flag for the caller's first wait.
        boolean interrupted = Thread.interrupted();
        try {
            return OPEN.computeIfAbsent(key, k -> {
                try {
                    return new Journal(k);
                } catch (IOException e) {
                    throw new QueueException("cannot open journal " + k + ": " + e.getMessage(), e);
                }
            });
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static MappedByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, CURSOR_LENGTH);
            b.order(ByteOrder.nativeOrder());
            return b;
        }
    }

    /** A process that died between appending and counting leaves a document the count misses. */
    private void recoverAppendedCount() {
        try (ExcerptTailer t = queue.createTailer()) {
            t.direction(TailerDirection.BACKWARD).toEnd();
            try (DocumentContext dc = t.readingDocument()) {
                long appended = dc.isPresent() ? dc.wire().bytes().readLong() + 1 : 0;
                if (appended > state.getLong(APPENDED)) {
                    state.putLong(APPENDED, appended);
                }
            }
        }
    }

    /**
     * Runs {@code body} once, holding the JVM lock and the file lock. An interrupt does not end the
     * wait for either lock: the flag is kept for the caller's wait loop, which reports it as
     * InterruptedException when it would wait on (see {@code JournalStore.retryUntil}).
     */
    <R> R locked(Supplier<R> body) {
        // File channels are interruptible: an interrupt, or a flag already set, closes the channel
        // in lock(). Clear the flag so that lock() can wait, and put it back at the end.
        boolean interrupted = Thread.interrupted();
        jvmLock.lock();
        try {
            FileLock held;
            for (;;) {
                try {
                    held = lockChannel.lock();
                    break;
                } catch (FileLockInterruptionException | ClosedChannelException e) {
                    // An interrupt during the wait closed the channel: FileLockInterruptionException
                    // (JDK 17 and 25 turn the ClosedByInterruptException into it), or
                    // ClosedChannelException when it came between two waits. Wait again, on a new channel.
                    interrupted |= Thread.interrupted();
                    if (!lockChannel.isOpen()) {
                        lockChannel = openLockChannel(dir);
                    }
                }
            }
            try {
                return body.get();
            } finally {
                release(held);
            }
        } catch (IOException e) {
            throw new QueueException("cannot lock journal " + dir + ": " + e, e);
        } finally {
            jvmLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static FileChannel openLockChannel(Path dir) throws IOException {
        return FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    private static void release(FileLock held) throws IOException {
        try {
            held.release();
        } catch (ClosedChannelException e) {
            // Closing the channel released the lock.
        }
    }

    /** Call under {@link #locked}. Counts a refused put. */
    void rejected() {
        state.putLong(REJECTED, state.getLong(REJECTED) + 1);
    }

    /** Call under {@link #locked}. @return puts refused so far */
    long rejectedCount() {
        return state.getLong(REJECTED);
    }

    private MappedByteBuffer cursor(String subscriber) {
        MappedByteBuffer known = cursors.get(subscriber);
        if (known != null) {
            return known;
        }
        boolean interrupted = Thread.interrupted(); // an interrupt would close the channel mid-map
        try {
            return mapCursor(subscriber);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private MappedByteBuffer mapCursor(String subscriber) {
        return cursors.computeIfAbsent(subscriber, s -> {
            try {
                MappedByteBuffer c = map(dir.resolve(CURSOR_PREFIX + s));
                if (c.getLong(CURSOR_NEXT) == 0 && c.getLong(CURSOR_LAST_INDEX) == 0) {
                    c.putLong(CURSOR_LAST_INDEX, -1);
                }
                return c;
            } catch (IOException e) {
                throw new QueueException("cannot open subscriber " + s + " of journal " + dir + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * Without the lock: whether the subscriber may have something to read (a hint for waiters).
     *
     * @param subscriber the subscriber
     * @return true when documents beyond its cursor were appended
     */
    boolean mayHaveNext(String subscriber) {
        MappedByteBuffer c = cursor(subscriber);
        return (long) SharedRing.LONG.getAcquire(state, APPENDED) > (long) SharedRing.LONG.getAcquire(c, CURSOR_NEXT);
    }

    /** Closes the Chronicle queue and deletes the journal directory. */
    static synchronized void destroy(Journal j) {
        OPEN.remove(j.dir);
        j.locked(() -> {
            j.queue.close();
            return null;
        });
        try {
            j.lockChannel.close();
            try (var files = Files.walk(j.dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        } catch (IOException e) {
            throw new QueueException("cannot delete journal " + j.dir + ": " + e.getMessage(), e);
        }
    }

    /** Call under {@link #locked}. @return documents appended so far */
    long appended() {
        return state.getLong(APPENDED);
    }

    /** Call under {@link #locked}. @return bytes appended so far */
    long bytesIn() {
        return state.getLong(BYTES_IN);
    }

    /** Call under {@link #locked}. Appends documents, numbering them on. */
    void append(byte[][] payloads) {
        ExcerptAppender appender = appenders.get();
        long seq = appended();
        long bytes = 0;
        for (byte[] p : payloads) {
            try (DocumentContext dc = appender.writingDocument()) {
                Bytes<?> b = dc.wire().bytes();
                b.writeLong(seq++);
                b.writeInt(p.length);
                b.write(p);
            }
            bytes += p.length;
        }
        state.putLong(APPENDED, seq);
        state.putLong(BYTES_IN, bytesIn() + bytes);
    }

    /** Call under {@link #locked}. @return the subscriber's next sequence number */
    long next(String subscriber) {
        return cursor(subscriber).getLong(CURSOR_NEXT);
    }

    /** Call under {@link #locked}. @return bytes the subscriber took, and how many it cleared */
    long[] subscriberCounters(String subscriber) {
        MappedByteBuffer c = cursor(subscriber);
        return new long[] {c.getLong(CURSOR_BYTES_OUT), c.getLong(CURSOR_CLEARED)};
    }

    /**
     * Call under {@link #locked}. Reads the subscriber's next document.
     *
     * @param advance whether to move the cursor past it
     * @return its payload, or null when the subscriber has read everything
     */
    byte[] read(String subscriber, boolean advance) {
        MappedByteBuffer c = cursor(subscriber);
        long next = c.getLong(CURSOR_NEXT);
        if (next >= appended()) {
            return null;
        }
        long last = c.getLong(CURSOR_LAST_INDEX);
        Reader r = readers.get();
        ExcerptTailer t = r.tailer;
        if (r.after != last) {
            if (last < 0 || !t.moveToIndex(last)) {
                t.toStart();
            } else {
                try (DocumentContext skip = t.readingDocument()) {
                    // the document read last time
                }
            }
            r.after = last;
        }
        for (;;) {
            try (DocumentContext dc = t.readingDocument()) {
                if (!dc.isPresent()) {
                    r.after = Long.MIN_VALUE;
                    throw new QueueException("journal " + dir + " is missing document " + next + " of " + appended());
                }
                r.after = dc.index();
                Bytes<?> b = dc.wire().bytes();
                long seq = b.readLong();
                if (seq < next) {
                    continue;
                }
                byte[] payload = new byte[b.readInt()];
                b.read(payload);
                if (advance) {
                    c.putLong(CURSOR_NEXT, seq + 1);
                    c.putLong(CURSOR_LAST_INDEX, dc.index());
                    c.putLong(CURSOR_BYTES_OUT, c.getLong(CURSOR_BYTES_OUT) + payload.length);
                }
                return payload;
            }
        }
    }

    /** Call under {@link #locked}. Moves the subscriber to read {@code position} next. */
    void seek(String subscriber, long position, boolean countAsCleared) {
        MappedByteBuffer c = cursor(subscriber);
        long target = Math.max(0, Math.min(position, appended()));
        long lastIndex = -1;
        if (target > 0) {
            try (ExcerptTailer t = queue.createTailer()) {
                t.toStart();
                for (;;) {
                    try (DocumentContext dc = t.readingDocument()) {
                        if (!dc.isPresent()) {
                            break;
                        }
                        if (dc.wire().bytes().readLong() == target - 1) {
                            lastIndex = dc.index();
                            break;
                        }
                    }
                }
            }
        }
        if (countAsCleared) {
            c.putLong(CURSOR_CLEARED, c.getLong(CURSOR_CLEARED) + Math.max(0, target - c.getLong(CURSOR_NEXT)));
        }
        c.putLong(CURSOR_NEXT, target);
        c.putLong(CURSOR_LAST_INDEX, lastIndex);
    }
}
