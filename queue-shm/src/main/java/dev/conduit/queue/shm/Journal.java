package dev.conduit.queue.shm;

import dev.conduit.queue.QueueException;
import dev.conduit.queue.spi.Deadline;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
    /**
     * File-lock tries back to back before the first park. A try is one {@code fcntl} (about a
     * microsecond); another process holds the lock for one operation (a few microseconds: a journal
     * put and get take about 3 together, uncontended), so a short hold mostly ends within these tries.
     */
    static final int SPINS = 8;
    /**
     * The first park between file-lock tries, doubled each time. Linux rounds a park up by its timer
     * slack (50 microseconds by default), so a smaller one would not be shorter.
     */
    static final long FIRST_PARK_NANOS = 20_000;
    /**
     * The longest park between file-lock tries: a release, the deadline or an interrupt (which also
     * ends a park at once) is seen within about a millisecond, well inside the few milliseconds the
     * contract allows, and a lock held for long (a stopped process) costs a thousand tries a second.
     */
    static final long MAX_PARK_NANOS = 1_000_000;
    /**
     * The shortest wait for the file lock, whatever the deadline: a call that must not wait
     * ({@code poll()}, {@code offer(item)}) still gets it when another process holds it for one
     * operation, instead of answering empty or full because of that hold. (The JVM lock is waited
     * for past the deadline while its holder runs a body, and not while that holder waits for the
     * file lock.)
     */
    static final long MIN_WAIT_NANOS = 50_000;

    final Path dir;
    private final ChronicleQueue queue;
    private volatile FileChannel lockChannel;
    private final MappedByteBuffer state;
    private final ReentrantLock jvmLock = new ReentrantLock();
    /** Whether the JVM lock's holder is waiting for the file lock, which another process holds. */
    private volatile boolean waitingForFileLock;
    /** Set by {@link #destroy}: this process's other handles then throw {@code QueueClosedException}. */
    private volatile boolean destroyed;
    /** When {@link #destroyed()} last looked for the state file. */
    private volatile long lastGoneCheck = System.nanoTime();
    /** How often {@link #destroyed()} looks for the state file: a waiter sees a destroy within this. */
    static final long GONE_CHECK_NANOS = 10_000_000;
    /** Refused puts not yet added to the state file: counting one must not wait for the lock. */
    private final AtomicLong pendingRejected = new AtomicLong();
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
     * Runs {@code body} once, holding the JVM lock and the file lock, however long another thread or
     * process holds them. For calls with no deadline that cannot throw InterruptedException (open,
     * peek, size, clear, metrics, replay, destroy): an interrupt does not end the wait, and the flag
     * is kept.
     *
     * @return what {@code body} returned
     */
    <R> R locked(Supplier<R> body) {
        try {
            return locked(Deadline.FOREVER, false, body);
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait threw " + e, e);
        }
    }

    /**
     * Runs {@code body} once, holding the JVM lock and the file lock, if it gets them by the deadline.
     * If it must wait for them and the thread is (or becomes) interrupted, it throws instead, with
     * the flag cleared; an interrupted thread that gets both at once runs {@code body} and keeps the
     * flag.
     *
     * @param deadline from {@link Deadline#deadline(long)}
     * @return what {@code body} returned, or null when the deadline passed first ({@code body} did not run)
     * @throws InterruptedException if interrupted while waiting; {@code body} did not run
     */
    <R> R lockedUntil(long deadline, Supplier<R> body) throws InterruptedException {
        return locked(deadline, true, body);
    }

    /**
     * Runs {@code body} once if the locks are free, or become free soon (another thread's body, or
     * {@link #MIN_WAIT_NANOS} for another process's): for the calls that must not wait ({@code poll()}, {@code offer(item)}). An interrupt is
     * ignored, and kept.
     *
     * @return what {@code body} returned, or null when a lock stayed busy ({@code body} did not run)
     */
    <R> R lockedNow(Supplier<R> body) {
        try {
            return locked(System.nanoTime(), false, body);
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait threw " + e, e);
        }
    }

    /**
     * Takes the JVM lock, then the file lock (the file lock is per process, so this process's threads
     * take turns for it on the JVM lock), runs {@code body}, and lets go. The file lock is polled with
     * {@link FileChannel#tryLock()}: one {@code fcntl}, as {@code lock()} is, but it neither blocks
     * nor is interruptible, so the wait can end at the deadline or on an interrupt, and an interrupt
     * never closes the channel. Between tries: {@link #SPINS} tries back to back, then parks from
     * {@link #FIRST_PARK_NANOS} doubling to {@link #MAX_PARK_NANOS}, never past the deadline. Past
     * the deadline, the wait for the JVM lock goes on while its holder runs a body (a call must not
     * time out, or a no-wait call answer empty or full, because another thread of this process was
     * taking its turn), and ends when that holder waits for the file lock.
     *
     * @param deadline when to give up ({@link Deadline#FOREVER}: never), at the earliest
     *     {@link #MIN_WAIT_NANOS} from now
     * @param interruptible whether an interrupt (or a flag set on entry) ends a wait with
     *     InterruptedException; otherwise it is kept for the caller
     * @return what {@code body} returned, or null when the deadline passed first ({@code body} did not run)
     */
    private <R> R locked(long deadline, boolean interruptible, Supplier<R> body) throws InterruptedException {
        // Chronicle's and the mappings' file channels are interruptible: the body runs with the flag
        // clear, and it is put back at the end unless it was reported as InterruptedException.
        boolean interrupted = Thread.interrupted();
        boolean reported = false;
        try {
            if (deadline != Deadline.FOREVER) {
                long floor = System.nanoTime() + MIN_WAIT_NANOS;
                deadline = deadline - floor < 0 ? floor : deadline;
            }
            while (!jvmLock.tryLock()) {
                if (interruptible && (interrupted || Thread.interrupted())) {
                    reported = true;
                    throw new InterruptedException();
                }
                try {
                    if (deadline == Deadline.FOREVER) {
                        if (interruptible) {
                            jvmLock.lockInterruptibly();
                        } else {
                            jvmLock.lock();
                        }
                        break;
                    }
                    long left = Deadline.remaining(deadline);
                    if (left == 0) {
                        // Past the deadline, wait on while the holder runs a body (this process's
                        // threads take turns; a call must not fail for that), not while it waits for
                        // another process.
                        if (waitingForFileLock) {
                            return null;
                        }
                        left = FIRST_PARK_NANOS;
                    }
                    if (jvmLock.tryLock(left, TimeUnit.NANOSECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    if (interruptible) {
                        reported = true;
                        throw e;
                    }
                    interrupted = true; // and try again
                }
            }
            try {
                FileLock held;
                long park = FIRST_PARK_NANOS;
                for (int tries = 0; (held = tryLockFile()) == null; tries++) {
                    if (interruptible && (interrupted || Thread.interrupted())) {
                        reported = true;
                        throw new InterruptedException();
                    }
                    interrupted |= Thread.interrupted(); // a set flag would make parkNanos spin
                    waitingForFileLock = true;
                    if (tries < SPINS) {
                        Thread.onSpinWait();
                        continue;
                    }
                    long left = Deadline.remaining(deadline);
                    if (left == 0) {
                        return null;
                    }
                    LockSupport.parkNanos(this, Math.min(left, park));
                    park = Math.min(MAX_PARK_NANOS, park * 2);
                }
                waitingForFileLock = false;
                try {
                    flushRejected();
                    return body.get();
                } finally {
                    release(held);
                }
            } finally {
                waitingForFileLock = false;
                jvmLock.unlock();
            }
        } catch (IOException e) {
            throw new QueueException("cannot lock journal " + dir + ": " + e, e);
        } finally {
            if (!reported && (interrupted || Thread.interrupted())) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return the file lock, or null when another process holds it */
    private FileLock tryLockFile() throws IOException {
        try {
            return lockChannel.tryLock();
        } catch (ClosedChannelException e) {
            // Closed by destroy: open it again (the directory is gone, which fails as a QueueException).
            lockChannel = openLockChannel(dir);
            return lockChannel.tryLock();
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

    /**
     * Counts a refused put, without waiting for the lock: it is added to the state file now if the
     * lock is free, else by this process's next call that takes the lock.
     */
    void rejected() {
        pendingRejected.incrementAndGet();
        lockedNow(() -> null);
    }

    /**
     * Adds refused puts not yet counted to the state file, waiting for the lock at most
     * {@code timeoutNanos} (at least {@link #MIN_WAIT_NANOS}) and ignoring interrupts (the flag is
     * kept). Nothing to add: returns at once, without the lock.
     *
     * @return whether nothing is left to add (false: the lock stayed busy; the next locked call adds it)
     */
    boolean flushPending(long timeoutNanos) {
        if (pendingRejected.get() == 0) {
            return true;
        }
        try {
            return locked(Deadline.deadline(timeoutNanos), false, () -> Boolean.TRUE) != null;
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait threw " + e, e);
        }
    }

    /** Call under the lock. */
    private void flushRejected() {
        if (pendingRejected.get() != 0) {
            state.putLong(REJECTED, state.getLong(REJECTED) + pendingRejected.getAndSet(0));
        }
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
        j.destroyed = true;
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

    /**
     * Whether the journal was destroyed: by a handle of this process, or by another process, which
     * deletes its files (looked at at most every {@link #GONE_CHECK_NANOS}, so that a waiter sees it
     * and checks on the fast path cost no file system call).
     *
     * @return whether the journal was destroyed
     */
    boolean destroyed() {
        if (destroyed) {
            return true;
        }
        long now = System.nanoTime();
        if (now - lastGoneCheck < GONE_CHECK_NANOS) {
            return false;
        }
        lastGoneCheck = now;
        if (Files.exists(dir.resolve(STATE_FILE))) {
            return false;
        }
        synchronized (Journal.class) {
            destroyed = true;
            OPEN.remove(dir, this); // a later open makes a new journal rather than use this one's old files
        }
        return true;
    }

    /** Call under {@link #locked}. @return documents appended so far */
    long appended() {
        return state.getLong(APPENDED);
    }

    /** Call under {@link #locked}. @return bytes appended so far */
    long bytesIn() {
        return state.getLong(BYTES_IN);
    }

    /**
     * The largest payload a document holds: Chronicle writes a document of at most a quarter of
     * its block size, and refuses a longer one only after {@link #append} has started writing it
     * (leaving the documents before it in the batch appended but not counted), so longer payloads
     * must be refused before.
     *
     * @return the largest payload, in bytes
     */
    long maxPayload() {
        return ((net.openhft.chronicle.queue.impl.single.SingleChronicleQueue) queue).blockSize() / 4
                - Long.BYTES - Integer.BYTES;
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
