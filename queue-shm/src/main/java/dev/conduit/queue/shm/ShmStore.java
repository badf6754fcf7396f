package dev.conduit.queue.shm;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.IdleStrategy;
import dev.conduit.queue.spi.QueueStore;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One handle on an {@code shm} queue: encodes items straight into the shared ring's slots, waits
 * with the descriptor's {@link IdleStrategy} (another process cannot signal us), and reads the
 * metrics from the file's shared counters. Thread-safe, except with {@code threads=confined}: then
 * each side takes calls from one thread (see {@link SharedRing#checkProducerThread}).
 *
 * @param <T> the item type
 */
final class ShmStore<T> implements QueueStore<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ShmStore.class);
    private final QueueDescriptor descriptor;
    private final Codec<T> codec;
    private final ShmOptions options;
    private final SharedRing ring;
    private final Set<Capability> capabilities;
    private final int lanes;
    private final long itemSize;
    /** A waiter makes every 64th attempt precise (see {@link #isPreciseAttempt}). */
    private static final int PRECISE_EVERY_MASK = 63;
    /**
     * For its first attempts (the spinning phase of either idle strategy), a producer that found the
     * lane full waits for room for {@link #roomWanted} items rather than one: it then writes a run of
     * items while consumers read elsewhere in the ring, instead of both fighting over one slot's
     * cache lines item by item. Later attempts take any free slot.
     */
    private static final int ROOM_ATTEMPTS = 256;

    private final int roomWanted;
    /** Whether the codec is {@link Codecs#bytes()}, whose encode and decode are the bytes themselves. */
    private final boolean rawBytes;
    /** Whether the handle is thread-confined (option {@code threads=confined}). */
    private final boolean confined;
    /**
     * Whether a put hands the ring its bytes as they are ({@link SharedRing#tryOfferBytes}): raw
     * bytes into a single-consumer ring, whose put then allocates nothing.
     */
    private final boolean bytesAsTheyAre;
    private volatile boolean closed;


    ShmStore(QueueDescriptor descriptor, Codec<T> codec, ShmOptions options, SharedRing ring,
            Set<Capability> capabilities) {
        this.descriptor = descriptor;
        this.codec = codec;
        this.options = options;
        this.ring = ring;
        this.capabilities = capabilities;
        this.lanes = ring.lanes();
        this.itemSize = ring.layout.itemSize();
        this.roomWanted = (int) Math.max(1, Math.min(64, ring.layout.capacity() / 8));
        this.rawBytes = codec == Codecs.bytes();
        this.confined = options.confined();
        this.bytesAsTheyAre = rawBytes && ring.layout.singleConsumer();
    }

    private void checkOpen() {
        if (closed) {
            throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
        }
        if (ring.isDestroyed()) {
            throw new QueueClosedException("queue " + descriptor.qualifiedName() + " was destroyed");
        }
    }

    /** An item encoded (or ready to encode itself) into a slot. */
    private static final class Encoded<T> implements SharedRing.Payload {
        private final T item;
        private final Codec<T> codec;
        private final byte[] bytes;
        private final int size;

        Encoded(T item, Codec<T> codec, byte[] bytes, int size) {
            this.item = item;
            this.codec = codec;
            this.bytes = bytes;
            this.size = size;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void writeTo(ByteBuffer target, int offset) {
            if (bytes != null) {
                target.put(offset, bytes, 0, size);
            } else {
                codec.encodeTo(item, target.slice(offset, size));
            }
        }
    }

    private Encoded<T> encode(T item) {
        // The raw bytes codec's encode() is the item itself: copying it with an absolute put is
        // cheaper than encodeTo(), which needs a slice of the mapping per item.
        int size = rawBytes ? -1 : codec.encodedSize(item);
        byte[] bytes = null;
        if (size < 0) {
            bytes = codec.encode(item);
            size = bytes.length;
        }
        checkSize(size);
        return new Encoded<>(item, codec, bytes, size);
    }

    /** {@link #bytesAsTheyAre}: the item's bytes (the raw bytes codec's encode is the item itself). */
    private byte[] bytesOf(T item) {
        byte[] bytes = codec.encode(item);
        checkSize(bytes.length);
        return bytes;
    }

    private void checkSize(int size) {
        if (size > itemSize) {
            throw new ItemTooLargeException("an item of " + size + " encoded bytes does not fit queue "
                    + descriptor.qualifiedName() + ", whose slots hold " + itemSize + " (option 'itemSize'); nothing"
                    + " was written");
        }
    }

    @Override
    public int capacity() {
        return (int) ring.layout.capacity();
    }

    // ---- puts

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        checkOpen();
        if (confined) {
            ring.checkProducerThread();
        }
        // Raw bytes into a single-consumer ring go as they are; anything else in a payload holder.
        byte[] bytes = bytesAsTheyAre ? bytesOf(item) : null;
        Encoded<T> payload = bytes == null ? encode(item) : null;
        int lane = options.laneFor(priority);
        Backpressure policy = options.backpressure();
        // Only a put that will not wait needs to know at once whether the lane is full; an attempt
        // that is not precise never names a stall, so the common put allocates none.
        boolean willWait = policy == Backpressure.BLOCK && timeoutNanos != 0;
        SharedRing.Stall stall = willWait ? null : new SharedRing.Stall();
        int r = attempt(lane, payload, bytes, stall, !willWait);
        if (r == SharedRing.OK) {
            return true;
        }
        if (stall == null) {
            stall = new SharedRing.Stall();
        }
        if (policy == Backpressure.DROP_OLDEST) {
            return offerDroppingOldest(lane, payload, stall);
        }
        long wait = policy == Backpressure.REJECT ? 0 : timeoutNanos;
        if (wait > 0) {
            ring.add(RingLayout.WAITS_OFFSET, 1);
        }
        long deadline = Deadline.deadline(wait);
        IdleStrategy idle = options.idle().create();
        for (int attempt = 0;; attempt++) {
            // A slot still being read frees within a copy, or is recovered if its reader died:
            // wait for it past the deadline, as an in-JVM ring waits for its peers, but not for
            // longer than the stall timeout (its reader may be alive but stopped).
            if (Deadline.remaining(deadline) == 0 && (r != SharedRing.BUSY && r != SharedRing.NOT_FREE
                    || r == SharedRing.BUSY && stalledTooLong(stall))) {
                ring.add(RingLayout.REJECTED_OFFSET, 1);
                return false;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (r == SharedRing.BUSY) {
                ring.checkStall(stall);
            }
            idle.idle(attempt);
            checkOpen();
            boolean precise = isPreciseAttempt(attempt, deadline);
            if (!precise && r != SharedRing.BUSY && !ring.hasRoomFor(lane, attempt < ROOM_ATTEMPTS ? roomWanted : 1)) {
                r = SharedRing.NOT_FREE;
                continue;
            }
            r = attempt(lane, payload, bytes, stall, precise);
            if (r == SharedRing.OK) {
                return true;
            }
        }
    }

    @Override
    public boolean tryOfferUncounted(T item, int priority) {
        if (options.backpressure() == Backpressure.DROP_OLDEST) {
            return tryOffer(item, priority); // makes room: never refused
        }
        checkOpen();
        if (confined) {
            ring.checkProducerThread();
        }
        byte[] bytes = bytesAsTheyAre ? bytesOf(item) : null;
        Encoded<T> payload = bytes == null ? encode(item) : null;
        return attempt(options.laneFor(priority), payload, bytes, new SharedRing.Stall(), true) == SharedRing.OK;
    }

    /** One attempt of a put: of {@code bytes} as they are when not null, else of {@code payload}. */
    private int attempt(int lane, Encoded<T> payload, byte[] bytes, SharedRing.Stall stall, boolean precise) {
        return bytes != null ? ring.tryOfferBytes(lane, bytes) : ring.tryOffer(lane, payload, stall, precise);
    }

    /**
     * Whether a waiter's next attempt must tell full from busy (or empty from in flight): now and
     * then, to look after stalls, and whenever the deadline has passed, to decide to give up. The
     * attempts between only look at the slot, so that a spinning waiter leaves the other side's
     * index alone.
     */
    private static boolean isPreciseAttempt(int attempt, long deadline) {
        return attempt >= ROOM_ATTEMPTS && (attempt & PRECISE_EVERY_MASK) == PRECISE_EVERY_MASK
                || Deadline.remaining(deadline) == 0;
    }

    private boolean offerDroppingOldest(int lane, Encoded<T> payload, SharedRing.Stall stall) {
        int r = SharedRing.FULL;
        for (int attempt = 0;; attempt++) {
            checkOpen();
            if (r == SharedRing.FULL) {
                Object dropped = dropOldest(lane, stall);
                if (dropped == SharedRing.DISCARDED) {
                    ring.add(RingLayout.DROPPED_OFFSET, 1);
                }
            } else {
                ring.checkStall(stall);
                Thread.onSpinWait();
            }
            r = ring.tryOffer(lane, payload, stall);
            if (r == SharedRing.OK) {
                return true;
            }
        }
    }

    /**
     * Drops the oldest item of {@code lane}, the lane a put needs room in: the capacity is per
     * lane, so an item of another lane would be dropped for nothing.
     */
    private Object dropOldest(int lane, SharedRing.Stall stall) {
        return ring.tryPoll(lane, null, stall);
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos)
            throws InterruptedException {
        checkOpen();
        if (confined) {
            ring.checkProducerThread();
        }
        SharedRing.Payload[] payloads = encodeBatch(items, priorities);
        int lane = laneOfBatch(priorities);
        if (ring.tryOfferAll(lane, payloads) == SharedRing.OK) {
            return true;
        }
        Backpressure policy = options.backpressure();
        long wait = policy == Backpressure.BLOCK ? timeoutNanos : 0;
        if (policy == Backpressure.DROP_OLDEST) {
            SharedRing.Stall stall = new SharedRing.Stall();
            for (;;) {
                checkOpen();
                if (dropOldest(lane, stall) == SharedRing.DISCARDED) {
                    ring.add(RingLayout.DROPPED_OFFSET, 1);
                } else {
                    ring.checkStall(stall);
                }
                if (ring.tryOfferAll(lane, payloads) == SharedRing.OK) {
                    return true;
                }
            }
        }
        if (wait > 0) {
            ring.add(RingLayout.WAITS_OFFSET, 1);
            long deadline = Deadline.deadline(wait);
            IdleStrategy idle = options.idle().create();
            for (int attempt = 0; Deadline.remaining(deadline) > 0; attempt++) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                idle.idle(attempt);
                checkOpen();
                if (ring.tryOfferAll(lane, payloads) == SharedRing.OK) {
                    return true;
                }
            }
        }
        ring.add(RingLayout.REJECTED_OFFSET, 1);
        return false;
    }

    /** A batch's payloads, in the order its lane keeps them: higher priorities first, stable among equals. */
    private SharedRing.Payload[] encodeBatch(List<? extends T> items, int[] priorities) {
        int n = items.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> -priorities[i]));
        SharedRing.Payload[] payloads = new SharedRing.Payload[n];
        for (int i = 0; i < n; i++) {
            payloads[i] = encode(items.get(order[i]));
        }
        return payloads;
    }

    /** One lane holds a whole batch (atomicity): the lane of its highest priority. */
    private int laneOfBatch(int[] priorities) {
        int top = 0;
        for (int p : priorities) {
            top = Math.max(top, p);
        }
        return options.laneFor(top);
    }

    @Override
    public boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) {
        if (options.backpressure() == Backpressure.DROP_OLDEST) {
            try {
                return offerAll(items, priorities, 0); // makes room: never refused
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        checkOpen();
        if (confined) {
            ring.checkProducerThread();
        }
        return ring.tryOfferAll(laneOfBatch(priorities), encodeBatch(items, priorities)) == SharedRing.OK;
    }

    // ---- gets

    /**
     * One pass over the lanes, highest first: an item, EMPTY, or IN_FLIGHT; or, when not precise,
     * NOT_READY for a lane that was not checked.
     */
    private Object pollOnce(SharedRing.Stall stall, boolean precise) {
        Object state = SharedRing.EMPTY;
        for (int lane = lanes - 1; lane >= 0; lane--) {
            Object r = ring.tryPoll(lane, codec, stall, precise);
            if (r == SharedRing.IN_FLIGHT || r == SharedRing.NOT_READY) {
                state = r;
            } else if (r != SharedRing.EMPTY) {
                return r;
            }
        }
        return state;
    }

    /** Whether a waiter has seen the same slot stuck for longer than the stall timeout. */
    private boolean stalledTooLong(SharedRing.Stall stall) {
        return stall.lane >= 0 && System.nanoTime() - stall.since > options.stallTimeoutNanos();
    }

    private static boolean isItem(Object r) {
        return r != SharedRing.EMPTY && r != SharedRing.IN_FLIGHT && r != SharedRing.NOT_READY;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T poll(long timeoutNanos) throws InterruptedException {
        checkOpen();
        if (confined) {
            ring.checkConsumerThread();
        }
        // As for puts: only a precise attempt can name a stall.
        SharedRing.Stall stall = timeoutNanos == 0 ? new SharedRing.Stall() : null;
        Object r = pollOnce(stall, timeoutNanos == 0);
        if (isItem(r)) {
            return (T) r;
        }
        if (stall == null) {
            stall = new SharedRing.Stall();
        }
        if (timeoutNanos == 0 && r == SharedRing.EMPTY) {
            return null;
        }
        if (timeoutNanos > 0) {
            ring.add(RingLayout.WAITS_OFFSET, 1);
        }
        long deadline = Deadline.deadline(timeoutNanos);
        IdleStrategy idle = options.idle().create();
        for (int attempt = 0;; attempt++) {
            // An item claimed before this call is published within a copy, or recovered if its
            // producer died: wait for it past the deadline, so that a non-empty size() is not
            // followed by an empty poll(); but not for longer than the stall timeout, since its
            // producer may be alive but stopped (SIGSTOP, a debugger) and a timed get must return.
            if (Deadline.remaining(deadline) == 0
                    && (r == SharedRing.EMPTY || r == SharedRing.IN_FLIGHT && stalledTooLong(stall))) {
                return null;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (r == SharedRing.IN_FLIGHT) {
                ring.checkStall(stall);
            }
            idle.idle(attempt);
            checkOpen();
            r = pollOnce(stall, isPreciseAttempt(attempt, deadline));
            if (isItem(r)) {
                return (T) r;
            }
        }
    }

    @Override
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        checkOpen();
        if (confined) {
            ring.checkConsumerThread();
        }
        // Items ready now are taken in runs from the start, highest lane first: one claim of the
        // consumer index per run. Only when none is ready does the first item go through poll(),
        // which waits (and recovers stalled slots); the rest then follow in runs.
        Drain drain = new Drain(sink);
        drainRuns(drain, maxItems);
        if (drain.taken == 0) {
            if (drain.failure != null) {
                throw drain.failure; // the unreadable item was the only one: as a single get would
            }
            T first = poll(timeoutNanos);
            if (first == null) {
                return 0;
            }
            sink.add(first);
            drain.taken = 1;
            drainRuns(drain, maxItems);
        }
        if (drain.failure != null) {
            // Healthy items were taken with it: those are the caller's now and must not be lost
            // with the exception. The bad item is skipped either way.
            LOG.warn("queue {}: a batch get skipped an item it could not read and returns the items it took "
                    + "with it: {}", descriptor.qualifiedName(), drain.failure.toString());
        }
        return drain.taken;
    }

    /** Takes runs of ready items until {@code maxItems} are taken, none is ready, or one failed. */
    private void drainRuns(Drain drain, int maxItems) {
        while (drain.taken < maxItems && drain.failure == null) {
            int wanted = maxItems - drain.taken;
            int claimed = 0;
            for (int lane = lanes - 1; lane >= 0 && claimed == 0; lane--) {
                claimed = ring.pollRun(lane, codec, wanted, drain);
            }
            // A run ends at the first slot not yet published: with one lane, asking again at once
            // would only read that slot again (whose line its producer is writing).
            if (claimed == 0 || lanes == 1 && claimed < Math.min(wanted, ring.layout.capacity())) {
                return;
            }
        }
    }

    /** Hands a batch get's runs to the caller's collection. Not thread-safe: one per call. */
    private final class Drain implements SharedRing.RunSink {
        private final Collection<? super T> sink;
        int taken;
        /** The first item that could not be read (a damaged slot, or the codec refused it). */
        RuntimeException failure;

        Drain(Collection<? super T> sink) {
            this.sink = sink;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void item(Object item) {
            sink.add((T) item);
            taken++;
        }

        @Override
        public void skipped(RuntimeException failure) {
            // The batch ends after this run; drainTo reports the item, or throws if it took nothing.
            if (this.failure == null) {
                this.failure = failure;
            }
        }
    }

    /** {@link ShmReader}'s view of the mapping: read-only, made once per reader. */
    ByteBuffer readOnlyView() {
        return ring.buf.asReadOnlyBuffer();
    }

    /**
     * {@link ShmReader#read(ShmRecordHandler, int)} on a single-consumer ring: runs of ready items,
     * highest lane first, as {@link #drainRuns} takes them, handed to {@code handler} in place.
     */
    int read(ShmRecordHandler handler, int limit, ByteBuffer view) {
        checkOpen();
        if (confined) {
            ring.checkConsumerThread();
        }
        int taken = 0;
        while (taken < limit) {
            int wanted = limit - taken;
            int claimed = 0;
            for (int lane = lanes - 1; lane >= 0 && claimed == 0; lane--) {
                claimed = ring.soloReadRun(lane, wanted, handler, view);
            }
            taken += claimed;
            if (claimed == 0 || lanes == 1 && claimed < Math.min(wanted, ring.layout.capacity())) {
                break;
            }
        }
        return taken;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T peek() {
        checkOpen();
        for (int lane = lanes - 1; lane >= 0; lane--) {
            Object r = ring.peek(lane, codec);
            if (r == SharedRing.IN_FLIGHT) {
                // size() already counts an item whose producer has claimed but not yet published its
                // slot: wait for the publish, as a poll would, so that peek agrees (found by Lincheck).
                // A producer that died mid-write is recovered by the poll path; give up after the
                // stall timeout rather than wait for it here.
                IdleStrategy idle = options.idle().create();
                long deadline = Deadline.deadline(options.stallTimeoutNanos());
                for (int attempt = 0; r == SharedRing.IN_FLIGHT && Deadline.remaining(deadline) > 0; attempt++) {
                    idle.idle(attempt);
                    r = ring.peek(lane, codec);
                }
            }
            if (r != SharedRing.EMPTY && r != SharedRing.IN_FLIGHT) {
                return (T) r;
            }
        }
        return null;
    }

    @Override
    public int size() {
        long n = 0;
        for (int lane = 0; lane < lanes; lane++) {
            n += ring.size(lane);
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public int clear() {
        checkOpen();
        if (confined) {
            ring.checkConsumerThread();
        }
        return (int) Math.min(Integer.MAX_VALUE, ring.clear());
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        checkOpen();
        SharedRing.Stall stall = new SharedRing.Stall();
        long deadline = Deadline.deadline(timeoutNanos);
        IdleStrategy idle = options.idle().create();
        for (int attempt = 0;; attempt++) {
            for (int lane = lanes - 1; lane >= 0; lane--) {
                if (ring.hasPublishedHead(lane, stall)) {
                    return true;
                }
            }
            if (Deadline.remaining(deadline) == 0) {
                return false;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            ring.checkStall(stall);
            idle.idle(attempt);
            checkOpen();
        }
    }

    @Override
    public QueueMetrics metrics() {
        long produced = 0;
        long consumed = 0;
        long bytesIn = 0;
        long bytesOut = 0;
        for (int lane = 0; lane < lanes; lane++) {
            produced += ring.producerIndex(lane);
            consumed += ring.consumerIndex(lane);
            bytesIn += ring.bytesIn(lane);
            bytesOut += ring.bytesOut(lane);
        }
        long dropped = ring.counter(RingLayout.DROPPED_OFFSET);
        long lost = ring.counter(RingLayout.LOST_READS_OFFSET);
        long puts = produced - ring.counter(RingLayout.ABANDONED_OFFSET);
        long cleared = ring.counter(RingLayout.CLEARED_OFFSET);
        long gets = consumed - ring.counter(RingLayout.SKIPPED_OFFSET) - cleared - dropped - lost;
        return new QueueMetrics(size(), capacity(), puts, Math.max(0, gets), ring.counter(RingLayout.REJECTED_OFFSET),
                dropped + lost, ring.counter(RingLayout.WAITS_OFFSET), bytesIn, bytesOut, itemSize, cleared);
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ShmFile.release(options.path(), ring);
        }
    }

    @Override
    public void destroy() {
        closed = true;
        ShmFile.destroy(options.path(), ring);
    }
}
