package dev.conduit.queue.shm;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.IdleStrategy;
import dev.conduit.queue.spi.QueueStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One handle on a journal, reading as one subscriber (the plain handle reads as
 * {@value #DEFAULT_SUBSCRIBER}). Puts append for everyone; the capacity bounds how far the default
 * subscriber may fall behind. Thread-safe.
 *
 * @param <T> the item type
 */
final class JournalStore<T> implements QueueStore<T> {
    /** The subscriber a plain handle reads as. */
    static final String DEFAULT_SUBSCRIBER = "default";
    /**
     * How long {@link #close()} waits for the lock to add this process's uncounted refused puts to
     * the state file: long enough for another process's hold of one operation (a few microseconds)
     * on a loaded machine, short enough that closing does not hang on a stopped process's lock.
     */
    static final long CLOSE_FLUSH_NANOS = 10_000_000;
    private static final Logger LOG = LoggerFactory.getLogger(JournalStore.class);

    private final QueueDescriptor descriptor;
    private final Codec<T> codec;
    private final Journal journal;
    private final String subscriber;
    private final IdleStrategy.Kind idle;
    /** Option {@code backpressure=REJECT}: a put on a full journal is refused at once, whatever its timeout. */
    private final boolean reject;
    private volatile boolean closed;

    private JournalStore(QueueDescriptor descriptor, Codec<T> codec, Journal journal, String subscriber) {
        this.descriptor = descriptor;
        this.codec = codec;
        this.journal = journal;
        this.subscriber = subscriber;
        this.idle = IdleStrategy.Kind.parse(descriptor.option("idle", null));
        this.reject = Backpressure.parse(descriptor.option("backpressure", null)) == Backpressure.REJECT;
    }

    /**
     * The directory of a journal: option {@code dir}, else the system property
     * {@code conduit.journal.dir}, else {@code ~/.conduit/journal} (persistent storage, unlike
     * the ring's tmpfs), then {@code namespace@id}.
     *
     * @param d the descriptor
     * @return the directory
     */
    static Path directory(QueueDescriptor d) {
        String dir = d.option("dir", null);
        Path base = dir != null ? Path.of(dir) : JournalQueues.defaultDirectory();
        return base.resolve(JournalInfo.DIRECTORY_PREFIX + d.namespace() + "@" + d.id());
    }

    static <T> JournalStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        // Refused before the journal's directory is made.
        if (Backpressure.parse(descriptor.option("backpressure", null)) == Backpressure.DROP_OLDEST) {
            throw new IllegalArgumentException("option 'backpressure=DROP_OLDEST' cannot be used with the journal "
                    + "(its items are kept for every subscriber): use BLOCK or REJECT");
        }
        return new JournalStore<>(descriptor, codec, Journal.open(directory(descriptor)), DEFAULT_SUBSCRIBER);
    }

    private void checkOpen() {
        if (closed) {
            throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
        }
        if (journal.destroyed()) {
            throw new QueueClosedException("queue " + descriptor.qualifiedName() + " was destroyed");
        }
    }

    @Override
    public int capacity() {
        return descriptor.capacity();
    }

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        return offerAll(List.of(item), new int[] {priority}, timeoutNanos);
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos) throws InterruptedException {
        return append(items, timeoutNanos, true);
    }

    @Override
    public boolean tryOfferUncounted(T item, int priority) {
        try {
            return append(List.of(item), 0, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // a put that must not wait does not look at interrupts
            return false;
        }
    }

    @Override
    public boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) throws InterruptedException {
        return append(items, 0, false);
    }

    /**
     * Appends every item atomically once there is room for all of them, up to the timeout.
     *
     * @param countRefusal whether a refusal counts in {@code metrics().rejected()} (not for the
     *     first try of an asynchronous put, which goes on to wait)
     */
    private boolean append(List<? extends T> items, long timeout, boolean countRefusal) throws InterruptedException {
        checkOpen();
        long timeoutNanos = reject ? 0 : timeout;
        byte[][] payloads = new byte[items.size()][];
        long max = journal.maxPayload();
        for (int i = 0; i < payloads.length; i++) {
            payloads[i] = codec.encode(items.get(i));
            if (payloads[i].length > max) {
                throw new ItemTooLargeException("an item of " + payloads[i].length + " encoded bytes does not fit "
                        + "journal " + descriptor.qualifiedName() + ", whose documents hold at most " + max
                        + "; nothing was written");
            }
        }
        Boolean appended = retryUntil(timeoutNanos, deadline -> locked(timeoutNanos, deadline, () -> {
            if (journal.appended() - journal.next(DEFAULT_SUBSCRIBER) + payloads.length > capacity()) {
                return null;
            }
            journal.append(payloads);
            return Boolean.TRUE;
        }));
        if (appended == null) {
            if (countRefusal) {
                countRejected();
            }
            return false;
        }
        return true;
    }

    @Override
    public T poll(long timeoutNanos) throws InterruptedException {
        checkOpen();
        byte[] payload = retryUntil(timeoutNanos, deadline -> journal.mayHaveNext(subscriber)
                ? locked(timeoutNanos, deadline, () -> journal.read(subscriber, true)) : null);
        return payload == null ? null : codec.decode(payload, 0, payload.length);
    }

    /** One try of a call, given the call's deadline. */
    @FunctionalInterface
    private interface Attempt<R> {
        /** @return the result, or null to try again (or to time out: the deadline passed) */
        R get(long deadline) throws InterruptedException;
    }

    /**
     * Runs {@code body} under the journal's locks. A timed or blocking call waits for them until its
     * deadline, and an interrupt ends that wait; a call that must not wait ({@code timeoutNanos} 0:
     * {@code poll()}, {@code offer(item)}) waits only {@link Journal#MIN_WAIT_NANOS} and ignores interrupts.
     *
     * @return what {@code body} returned, or null when the locks stayed busy until the deadline
     * @throws InterruptedException if interrupted while waiting for the locks; {@code body} did not run
     */
    private <R> R locked(long timeoutNanos, long deadline, Supplier<R> body) throws InterruptedException {
        return timeoutNanos > 0 ? journal.lockedUntil(deadline, body) : journal.lockedNow(body);
    }

    /**
     * Runs {@code attempt} until it returns non-null, waiting with the descriptor's idle strategy
     * between attempts.
     *
     * @return the first non-null result, or null once the timeout has passed
     * @throws InterruptedException if interrupted while waiting
     * @throws QueueClosedException if the handle is closed while waiting
     */
    private <R> R retryUntil(long timeoutNanos, Attempt<R> attempt) throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        IdleStrategy waiting = idle.create();
        for (int attempts = 0;; attempts++) {
            R result;
            try {
                result = attempt.get(deadline);
            } catch (QueueException e) {
                // Another handle destroyed the journal under this wait: its files are gone.
                checkOpen();
                throw e;
            }
            if (result != null) {
                return result;
            }
            if (Deadline.remaining(deadline) == 0) {
                return null;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            waiting.idle(attempts);
            checkOpen();
        }
    }

    /** Counts a refused put without waiting for the lock (see {@link Journal#rejected()}). */
    private void countRejected() {
        journal.rejected();
    }

    /**
     * Takes the first item and those behind it, up to {@code maxItems}, under one hold of the lock,
     * then decodes them. As in {@code ShmStore.drainTo}, an item the codec cannot decode costs only
     * itself: it is skipped, the healthy items taken with it go to {@code sink} (they are the
     * caller's now and must not be lost with the exception), and the first such failure is thrown
     * only when the batch held nothing else, as a single get would throw it; otherwise it is logged.
     */
    @Override
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        checkOpen();
        List<byte[]> payloads = retryUntil(timeoutNanos, deadline -> journal.mayHaveNext(subscriber)
                ? locked(timeoutNanos, deadline, () -> {
                    List<byte[]> read = new ArrayList<>();
                    byte[] p;
                    while (read.size() < maxItems && (p = journal.read(subscriber, true)) != null) {
                        read.add(p);
                    }
                    return read.isEmpty() ? null : read;
                }) : null);
        if (payloads == null) {
            return 0;
        }
        int taken = 0;
        RuntimeException failure = null;
        for (byte[] p : payloads) {
            T item;
            try {
                item = codec.decode(p, 0, p.length);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
                continue;
            }
            sink.add(item);
            taken++;
        }
        if (failure != null) {
            if (taken == 0) {
                throw failure; // the unreadable items were the only ones: as a single get would
            }
            LOG.warn("queue {}: a batch get skipped an item it could not read and returns the items it took "
                    + "with it: {}", descriptor.qualifiedName(), failure.toString());
        }
        return taken;
    }

    @Override
    public T peek() {
        checkOpen();
        byte[] payload = journal.locked(() -> journal.read(subscriber, false));
        return payload == null ? null : codec.decode(payload, 0, payload.length);
    }

    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, journal.locked(() -> journal.appended() - journal.next(subscriber)));
    }

    @Override
    public int clear() {
        checkOpen();
        return (int) (long) journal.locked(() -> {
            long n = journal.appended() - journal.next(subscriber);
            journal.seek(subscriber, journal.appended(), true);
            return n;
        });
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        checkOpen();
        // A wait that ends without an item refuses nothing: no counter moves.
        return retryUntil(timeoutNanos, deadline -> journal.mayHaveNext(subscriber) ? Boolean.TRUE : null) != null;
    }

    @Override
    public QueueMetrics metrics() {
        return journal.locked(() -> {
            long appended = journal.appended();
            long next = journal.next(subscriber);
            long[] c = journal.subscriberCounters(subscriber);
            return new QueueMetrics((int) Math.min(Integer.MAX_VALUE, appended - next), capacity(), appended,
                    next - c[1], journal.rejectedCount(), 0, 0, journal.bytesIn(), c[0], -1, c[1]);
        });
    }

    @Override
    public Set<Capability> capabilities() {
        return JournalBackend.CAPABILITIES;
    }

    /** A store reading as {@code name}: it sees every item, from the start of the journal the first time. */
    @Override
    public QueueStore<T> subscriber(String name) {
        checkOpen();
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new IllegalArgumentException("subscriber name '" + name + "' must be letters, digits, '.', '_' "
                    + "or '-'");
        }
        return new JournalStore<>(descriptor, codec, journal, name);
    }

    /** Moves this store's subscriber so that it reads {@code position} next. */
    void replay(long position) {
        journal.locked(() -> {
            journal.seek(subscriber, position, false);
            return null;
        });
    }

    /**
     * Closes this handle. Puts it refused while another process held the lock are not yet in the
     * state file (counting one does not wait): they are added now, so that other processes'
     * metrics() see them even if this process makes no further call. This waits for the lock at most
     * {@link #CLOSE_FLUSH_NANOS}; if another process keeps it longer, the count stays with this
     * process's journal, added by its next call on any handle (or lost if the process ends first).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            journal.flushPending(CLOSE_FLUSH_NANOS);
        } catch (RuntimeException e) {
            // Closing must not fail: the journal was destroyed by another handle, or cannot be locked.
            LOG.warn("queue {}: could not count refused puts on close: {}", descriptor.qualifiedName(), e.toString());
        }
    }

    @Override
    public void destroy() {
        closed = true;
        Journal.destroy(journal);
    }
}
