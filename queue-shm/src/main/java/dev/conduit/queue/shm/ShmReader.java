package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.spi.Deadline;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;

/**
 * Zero-copy reading of a one-to-one {@code shm} queue ({@code producers=single},
 * {@code consumers=single}; docs/shm.md, "Zero-copy reading"): each item taken is handed to a
 * {@link ShmRecordHandler} as an offset into a read-only view of the mapping, with no object made
 * per item, the way Agrona's {@code OneToOneRingBuffer.read} hands records to its handler. Opened
 * by {@link ShmQueues#reader(QueueDescriptor)}, it is a handle of its own on the queue: it shares
 * this process's consumer role and FIFO head with the process's other handles (a reader and a
 * handle's {@code get}/{@code getBatch} may be used in turn, in one order), and it must be closed.
 *
 * <p>Taking works as {@code getBatch} does on that ring: a run is claimed (recorded in the file),
 * read in place and freed with one store of the consumer index; tombstones left by a dead producer
 * are stepped over; the queue's metrics count the gets and bytes out. A consumer killed inside
 * {@link #read} loses at most the run it had claimed, counted lost, never delivered twice.
 *
 * <p>Thread-safety follows the queue's {@code threads} option: with {@code threads=shared} any
 * thread may read (reads take the consumer turn, as {@code getBatch} does); with
 * {@code threads=confined} only the thread that owns this process's consumer side, as for
 * {@code get}. A handler must not take from the queue itself (refused) and must not keep the
 * buffer's bytes past its return.
 */
public final class ShmReader implements AutoCloseable {
    private final ShmStore<byte[]> store;
    private final QueueDescriptor descriptor;
    private final ByteBuffer view;

    ShmReader(ShmStore<byte[]> store, QueueDescriptor descriptor) {
        this.store = store;
        this.descriptor = descriptor;
        this.view = store.readOnlyView();
    }

    /**
     * Hands up to {@code limit} published items at the head of the queue to {@code handler}, in
     * order, in place, and takes them; does not wait.
     *
     * @param handler receives each record; valid only during its call
     * @param limit the most items to take, at least 1
     * @return how many items the handler was given (0 when none is published)
     * @throws IllegalArgumentException when {@code limit} is below 1
     * @throws dev.conduit.queue.QueueClosedException when this reader is closed or the queue destroyed
     * @throws dev.conduit.queue.QueueException with {@code threads=confined}, when another live thread
     *     owns this process's consumer side; when called from inside a handler; when another live
     *     process holds the consumer role; when a slot is damaged (that item is taken, those before it
     *     were delivered)
     * @throws RuntimeException what the handler threw: the item it threw on and those before it are
     *     taken, the rest stay in the queue
     */
    public int read(ShmRecordHandler handler, int limit) {
        Objects.requireNonNull(handler, "handler");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, not " + limit);
        }
        return store.read(handler, limit, view);
    }

    /**
     * As {@link #read(ShmRecordHandler, int)}, waiting up to {@code timeout} for an item with the
     * queue's idle strategy (option {@code idle}) when none is published; a producer that died
     * while writing the head is recovered as a timed {@code get} would.
     *
     * @param handler receives each record; valid only during its call
     * @param limit the most items to take, at least 1
     * @param timeout the longest wait; zero or negative does not wait
     * @return how many items the handler was given (0 when none came in time)
     * @throws InterruptedException when interrupted while waiting (nothing was taken)
     * @throws IllegalArgumentException when {@code limit} is below 1
     * @throws dev.conduit.queue.QueueException as {@link #read(ShmRecordHandler, int)} (a closed
     *     reader, a wrong thread, a take from inside a handler, a damaged slot)
     * @throws RuntimeException what the handler threw, as {@link #read(ShmRecordHandler, int)}
     */
    public int read(ShmRecordHandler handler, int limit, Duration timeout) throws InterruptedException {
        long deadline = Deadline.deadline(Deadline.toNanos(Objects.requireNonNull(timeout, "timeout")));
        for (;;) {
            int n = read(handler, limit);
            long left = Deadline.remaining(deadline);
            if (n > 0 || left == 0 || !store.awaitNotEmpty(left)) {
                return n;
            }
        }
    }

    /** @return the queue this reader reads */
    public QueueDescriptor descriptor() {
        return descriptor;
    }

    /**
     * Closes this handle: later reads are refused; the queue and the process's other handles are
     * not affected. Idempotent. Must not be called from inside a handler.
     */
    @Override
    public void close() {
        store.close();
    }

    @Override
    public String toString() {
        return "ShmReader[" + descriptor.qualifiedName() + "]";
    }
}
