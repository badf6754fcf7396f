package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.RingLayout.ABANDONED_OFFSET;
import static dev.conduit.queue.shm.RingLayout.BYTES_IN;
import static dev.conduit.queue.shm.RingLayout.BYTES_OUT;
import static dev.conduit.queue.shm.RingLayout.CLEARED_OFFSET;
import static dev.conduit.queue.shm.RingLayout.CLEARING;
import static dev.conduit.queue.shm.RingLayout.CLEAR_OWNER_OFFSET;
import static dev.conduit.queue.shm.RingLayout.CONSUMER_CLAIMED;
import static dev.conduit.queue.shm.RingLayout.CONSUMER_INDEX;
import static dev.conduit.queue.shm.RingLayout.CONSUMER_OWNER_OFFSET;
import static dev.conduit.queue.shm.RingLayout.DENSE_SLOT_HEADER_LENGTH;
import static dev.conduit.queue.shm.RingLayout.DENSE_SLOT_ITEM_LENGTH;
import static dev.conduit.queue.shm.RingLayout.DENSE_SLOT_SEQUENCE;
import static dev.conduit.queue.shm.RingLayout.INDEX_MASK;
import static dev.conduit.queue.shm.RingLayout.LOST_READS_OFFSET;
import static dev.conduit.queue.shm.RingLayout.PRODUCER_INDEX;
import static dev.conduit.queue.shm.RingLayout.PRODUCER_LIMIT;
import static dev.conduit.queue.shm.RingLayout.PRODUCER_OWNER_OFFSET;
import static dev.conduit.queue.shm.RingLayout.SKIPPED_OFFSET;
import static dev.conduit.queue.shm.RingLayout.SLOT_BATCH;
import static dev.conduit.queue.shm.RingLayout.SLOT_HEADER_LENGTH;
import static dev.conduit.queue.shm.RingLayout.SLOT_ITEM_LENGTH;
import static dev.conduit.queue.shm.RingLayout.SLOT_READER;
import static dev.conduit.queue.shm.RingLayout.SLOT_SEQUENCE;
import static dev.conduit.queue.shm.RingLayout.SLOT_WRITER;
import static dev.conduit.queue.shm.RingLayout.TOMBSTONE;
import static dev.conduit.queue.shm.RingLayout.WRITING;

import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.AsyncSupport;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The lock-free ring operations on one mapped queue file, shared by every handle of this JVM on
 * that file: Vyukov's bounded MPMC per lane, with the sequence word of each slot moved by CAS /
 * acquire / release through {@link MethodHandles#byteBufferViewVarHandle}, plus recovery of slots
 * held by dead processes (see {@link RingLayout} for the states).
 *
 * <p>Claims and frees are CASes, so a waiter that decides a slot's owner is dead can take the slot
 * over without racing the owner: a producer that was only slow finds its {@code i -> i|WRITING}
 * CAS failing and claims another index; a consumer that was only slow finds its free CAS failing
 * and drops what it copied. A slot whose owner is named by a tag is recovered only when that
 * process is dead; a claimed slot not yet tagged (the owner died in the nanoseconds between its
 * index CAS and its tag) only after the stall timeout. A slot's tag words start at 0, which names
 * no process and so is a tag for no index ({@link RingLayout#isTagFor}): a live owner caught before
 * its tag store at index 0 is not taken for a dead one.
 *
 * <p>A single-producer file ({@link RingLayout#singleProducer()}) has one producing process at a
 * time, which takes the role on its first put ({@link #claimProducerRole}); its threads claim with
 * the same index CAS, then tag and write the slot and publish it with ordered stores: no
 * {@code WRITING} CAS, because a claim is taken over only once its process is dead, and no atomic
 * add for the bytes-in counter, which its threads update in claim order ({@link #countBytesIn}).
 *
 * <p>A single-consumer file ({@link RingLayout#singleConsumer()}) is a one-to-one ring with dense
 * slots; its operations are in the section "single consumer" below: the threads of the producing
 * process take turns on {@link #producerLock}, those of the consuming process on
 * {@link #consumerLock}, so each side's indices have one writer, moved with ordered stores, and
 * only the producer writes slots. A confined ring ({@code threads=confined}, docs/shm.md) takes no
 * turns: each side belongs to one thread of this process ({@link #checkProducerThread},
 * {@link #checkConsumerThread}), which its handles check before they call in here.
 *
 * <p>Thread-safe.
 */
final class SharedRing {
    static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONG_ARRAY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final Codec<byte[]> RAW_BYTES = Codecs.bytes();

    /** {@link #tryOffer}: written and published. */
    static final int OK = 0;
    /** {@link #tryOffer}: the lane is full. */
    static final int FULL = 1;
    /** {@link #tryOffer}: the slot's previous item is still being read; the stall names it. */
    static final int BUSY = 2;
    /**
     * {@link #tryOffer} when not asked to be precise: the next slot is not free, and whether the lane
     * is full or a reader is still on the slot was not checked (that check reads the consumers'
     * index, whose cache line a spinning producer would otherwise pull away from them).
     */
    static final int NOT_FREE = 3;

    /** {@link #tryPoll}: the lane is empty. */
    static final Object EMPTY = new Object();
    /** {@link #tryPoll}: the head was claimed by a producer that has not published yet. */
    static final Object IN_FLIGHT = new Object();
    /** {@link #tryPoll} without a codec: an item was taken and discarded. */
    static final Object DISCARDED = new Object();
    /**
     * {@link #tryPoll} when not asked to be precise: nothing is published at the head, and whether
     * the lane is empty or a producer is writing the head was not checked (that check reads the
     * producers' index, whose cache line a spinning consumer would otherwise pull away from them).
     */
    static final Object NOT_READY = new Object();

    /** How often a stalled waiter checks whether the slot's owner is still alive. */
    private static final long LIVENESS_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    final String name;
    final MappedByteBuffer buf;
    final RingLayout layout;
    private final long capacity;
    private final long ringLength;
    /** Capacity equals ring length: a free slot alone proves there is room, no limit word needed. */
    private final boolean fullRing;
    private final long itemSize;
    private final int lanes;
    private final long stallTimeoutNanos;
    private final ShmUsers users;
    private final int user;
    private final long generation;
    /** Whether the file is single-producer ({@code producers=single}). */
    private final boolean singleProducer;
    /** Single-producer files: whether this process holds the producer role. */
    private volatile boolean producing;
    private final Object producerRole = new Object();
    /**
     * Whether {@link #releaseProducerRole} ran (the process's last handle closed, or the queue was
     * destroyed): this ring is then attached no more, and the role is never taken on it again.
     * Guarded by {@link #producerRole}.
     */
    private boolean producerReleased;
    /**
     * Single-producer files, while this process holds the role: per lane, the producer index up to
     * which the lane's bytes-in counter counts (the bytes-in turn, read with acquire and moved with
     * release through {@link #LONG_ARRAY}), and that counter's value.
     */
    private final long[] bytesInCountedTo;
    private final long[] bytesIn;
    /** Whether the file is single-consumer ({@code consumers=single}, with {@code producers=single}). */
    private final boolean singleConsumer;
    /** Single-consumer files: whether this process holds the consumer role. */
    private volatile boolean consuming;
    private final Object consumerRole = new Object();
    /** As {@link #producerReleased}, for {@link #releaseConsumerRole}; guarded by {@link #consumerRole}. */
    private boolean consumerReleased;
    /**
     * Single-consumer files: the turns of this process's producing threads, and of its consuming
     * threads. Held only for a non-blocking attempt (a copy), never while waiting, so a caller's
     * timeout and interruption are honoured by its wait loop around the attempts.
     */
    private final TurnLock producerLock = new TurnLock();
    private final TurnLock consumerLock = new TurnLock();
    /**
     * Whether this process's handles on the file are thread-confined ({@code threads=confined}): each
     * side belongs to one thread, so the single-consumer operations take no turn. Set once by
     * {@link ShmFile#acquire} before the ring is shared, which publishes it.
     */
    private boolean confined;
    /** Confined rings: the thread that owns this process's producer side, and its consumer side. */
    private volatile Thread producerThread;
    private volatile Thread consumerThread;
    private static final VarHandle PRODUCER_THREAD;
    private static final VarHandle CONSUMER_THREAD;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PRODUCER_THREAD = lookup.findVarHandle(SharedRing.class, "producerThread", Thread.class);
            CONSUMER_THREAD = lookup.findVarHandle(SharedRing.class, "consumerThread", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /**
     * Single-consumer files, under {@link #producerLock} while this process produces: per lane, the
     * producer index (this process is its only writer) and the consumer index last read (re-read
     * only when it says the lane is full).
     */
    private final long[] produced;
    private final long[] consumedSeen;
    private final int itemLengthOffset;
    private final int payloadOffset;

    SharedRing(String name, MappedByteBuffer buf, RingLayout layout, ShmUsers users, long stallTimeoutNanos) {
        this.name = name;
        this.buf = buf;
        this.layout = layout;
        this.capacity = layout.capacity();
        this.ringLength = layout.ringLength();
        this.fullRing = capacity == ringLength;
        this.itemSize = layout.itemSize();
        this.lanes = layout.lanes();
        this.stallTimeoutNanos = stallTimeoutNanos;
        this.users = users;
        this.user = users.user();
        this.generation = users.generation();
        this.singleProducer = layout.singleProducer();
        this.bytesInCountedTo = new long[lanes];
        this.bytesIn = new long[lanes];
        this.singleConsumer = layout.singleConsumer();
        this.produced = new long[lanes];
        this.consumedSeen = new long[lanes];
        this.itemLengthOffset = layout.itemLengthOffset();
        this.payloadOffset = layout.payloadOffset();
    }

    /** The encoded form of one item, ready to be copied into a slot. */
    interface Payload {
        /** @return the encoded size */
        int size();

        /**
         * Writes the item.
         *
         * @param target the mapping
         * @param offset where the payload starts; {@link #size()} bytes are free there
         */
        void writeTo(ByteBuffer target, int offset);
    }

    /** Where a waiter is stuck, so that it can check the slot's owner now and then. Not thread-safe. */
    static final class Stall {
        int lane = -1;
        long index;
        long seq;
        long since;
        long lastCheck;

        void clear() {
            lane = -1;
        }

        void at(int lane, long index, long seq) {
            if (this.lane != lane || this.index != index || this.seq != seq) {
                this.lane = lane;
                this.index = index;
                this.seq = seq;
                this.since = System.nanoTime();
                this.lastCheck = since;
            }
        }
    }

    // ---- words

    private long get(int offset) {
        return (long) LONG.getAcquire(buf, offset);
    }

    private boolean cas(int offset, long expect, long value) {
        return LONG.compareAndSet(buf, offset, expect, value);
    }

    void add(int offset, long delta) {
        LONG.getAndAdd(buf, offset, delta);
    }

    long counter(int offset) {
        return get(offset);
    }

    /** A lane's producer index without the {@link RingLayout#CLEARING} bit. */
    private long producerIndexOf(int laneBase) {
        return get(laneBase + PRODUCER_INDEX) & ~CLEARING;
    }

    /**
     * A lane's producer index once no clear holds it: a clear holds it for two CASes, or until
     * a producer finds that the clearing process died and lets go for it.
     */
    private long claimableProducerIndex(int laneBase) {
        long p = get(laneBase + PRODUCER_INDEX);
        return p >= 0 ? p : awaitClearing(laneBase);
    }

    private long awaitClearing(int laneBase) {
        long since = System.nanoTime();
        for (int spins = 1;; spins++) {
            long p = get(laneBase + PRODUCER_INDEX);
            if (p >= 0) {
                return p;
            }
            if ((spins & 1023) == 0) {
                long owner = get(CLEAR_OWNER_OFFSET);
                boolean ownerGone = owner == 0 ? System.nanoTime() - since > stallTimeoutNanos : !users.isAlive(owner);
                if (ownerGone) {
                    cas(laneBase + PRODUCER_INDEX, p, p & ~CLEARING);
                }
            }
            if (spins > 128) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private long tag(long index) {
        return RingLayout.tag(index, user, generation);
    }

    boolean isDestroyed() {
        return (long) LONG.getOpaque(buf, RingLayout.STATE_OFFSET) == RingLayout.STATE_DESTROYED;
    }

    void markDestroyed() {
        LONG.setRelease(buf, RingLayout.STATE_OFFSET, RingLayout.STATE_DESTROYED);
    }

    int lanes() {
        return lanes;
    }

    // ---- thread confinement

    void setConfined(boolean confined) {
        this.confined = confined;
    }

    boolean isConfined() {
        return confined;
    }

    /**
     * Confined rings: lets the calling thread produce if it owns this process's producer side, or
     * makes it the owner when no live thread does (the first to produce, or the next after the owner
     * has ended). Called before a put changes anything.
     *
     * @throws QueueException naming the owner when another live thread owns the side, or when the
     *     caller is one of Conduit's async threads (see {@link #wrongThread})
     */
    void checkProducerThread() {
        if (producerThread != Thread.currentThread()) {
            takeSide(PRODUCER_THREAD, "producer", "put (put, offer, putAll, a transaction's commit)");
        }
    }

    /**
     * Confined rings: as {@link #checkProducerThread} for the consumer side (get, poll, getBatch,
     * clear). Called before a take changes anything.
     *
     * @throws QueueException as {@link #checkProducerThread} does
     */
    void checkConsumerThread() {
        if (consumerThread != Thread.currentThread()) {
            takeSide(CONSUMER_THREAD, "consumer", "take (get, poll, getBatch, clear, ShmReader.read)");
        }
    }

    private void takeSide(VarHandle side, String role, String calls) {
        Thread me = Thread.currentThread();
        for (;;) {
            Thread owner = (Thread) side.getVolatile(this);
            if (owner == me) {
                return;
            }
            // A thread that has ended is inside no call (its end happens-before isAlive() says so).
            if (owner != null && owner.isAlive() || AsyncSupport.isAsyncThread(me)) {
                throw wrongThread(owner, me, role, calls);
            }
            if (side.compareAndSet(this, owner, me)) {
                return;
            }
        }
    }

    private QueueException wrongThread(Thread owner, Thread caller, String role, String calls) {
        String why = owner == null ? "no thread owns it yet"
                : "it belongs to thread '" + owner.getName() + "' (id " + owner.getId() + ")";
        String async = AsyncSupport.isAsyncThread(caller) ? " That thread is one of Conduit's async threads, which run the waiting"
                + " half of putAsync and getAsync and the deliveries of asPublisher(): any of them may run the next"
                + " such call, so none may own a side." : "";
        return new QueueException("shared-memory queue " + name + " is open with threads=confined: the " + role
                + " side of this process takes calls that " + calls + " from one thread only; " + why + ", and thread '"
                + caller.getName() + "' (id " + caller.getId() + ") called." + async + " Nothing was changed. Make"
                + " every such call on the owning thread (it stays the owner until it ends), hand the work to that"
                + " thread, or open the queue with threads=shared (the default) to share a handle between threads");
    }

    // ---- producers

    /**
     * Adds one item to a lane if there is room now.
     *
     * @return {@link #OK}, {@link #FULL}, or {@link #BUSY} with {@code stall} naming the slot
     */
    int tryOffer(int lane, Payload item, Stall stall) {
        return tryOffer(lane, item, stall, true);
    }

    /**
     * Adds one item to a lane if there is room now.
     *
     * @param precise whether to tell a full lane from a slot still being read; a waiter that will
     *     try again passes false between its periodic precise attempts
     * @param stall where a {@link #BUSY} result names the slot; may be null when not precise
     * @return {@link #OK}, {@link #FULL}, {@link #BUSY} with {@code stall} naming the slot, or (only
     *     when not precise) {@link #NOT_FREE}
     */
    int tryOffer(int lane, Payload item, Stall stall, boolean precise) {
        if (singleConsumer) {
            return soloOffer(lane, item, null);
        }
        if (singleProducer && !producing) {
            claimProducerRole();
        }
        final int laneBase = layout.laneOffset(lane);
        for (;;) {
            long p = claimableProducerIndex(laneBase);
            if (!fullRing) {
                long limit = get(laneBase + PRODUCER_LIMIT);
                if (p >= limit) {
                    limit = get(laneBase + CONSUMER_INDEX) + capacity;
                    if (p >= limit) {
                        return FULL;
                    }
                    LONG.setRelease(buf, laneBase + PRODUCER_LIMIT, limit);
                }
            }
            int slot = layout.slotOffset(lane, p);
            long s = get(slot + SLOT_SEQUENCE);
            if (s == p) {
                if (cas(laneBase + PRODUCER_INDEX, p, p + 1)) {
                    if (singleProducer) {
                        return writeSingleProducerClaim(lane, laneBase, slot, p, item);
                    }
                    if (!beginWrite(slot, p, 1)) {
                        continue; // taken over while we stalled: its claim is a tombstone now
                    }
                    try {
                        writePayload(slot, item);
                    } catch (RuntimeException | Error e) {
                        LONG.setRelease(buf, slot + SLOT_SEQUENCE, (p + 1) | TOMBSTONE);
                        add(ABANDONED_OFFSET, 1);
                        throw e;
                    }
                    LONG.setRelease(buf, slot + SLOT_SEQUENCE, p + 1);
                    add(laneBase + BYTES_IN, item.size());
                    return OK;
                }
            } else if ((s & INDEX_MASK) < p) {
                if (!precise) {
                    return NOT_FREE;
                }
                if (fullRing && p >= get(laneBase + CONSUMER_INDEX) + capacity) {
                    return FULL;
                }
                if (producerIndexOf(laneBase) == p) {
                    stall.at(lane, p, s);
                    return BUSY;
                }
            } else if (producerIndexOf(laneBase) == p) {
                throw corrupt("slot of index " + p + " in lane " + lane + " has sequence " + Long.toHexString(s)
                        + " ahead of the producer index");
            }
        }
    }

    /**
     * Writes and publishes the item of a single-producer claim: tag, length and payload with plain
     * stores, then the sequence {@code p + 1} with a release store, so that a consumer (which acts
     * on the sequence only) never sees a torn item, and a producer killed before that store leaves
     * a claim that is tagged (or, in the nanoseconds before the tag, owned by a dead producer) and
     * recovered as a tombstone.
     */
    private int writeSingleProducerClaim(int lane, int laneBase, int slot, long p, Payload item) {
        INT.set(buf, slot + SLOT_BATCH, 1);
        LONG.setRelease(buf, slot + SLOT_WRITER, tag(p));
        int size = item.size();
        try {
            writePayload(slot, item);
        } catch (RuntimeException | Error e) {
            LONG.setRelease(buf, slot + SLOT_SEQUENCE, (p + 1) | TOMBSTONE);
            add(ABANDONED_OFFSET, 1);
            countBytesIn(lane, laneBase, p, 1, 0);
            throw e;
        }
        LONG.setRelease(buf, slot + SLOT_SEQUENCE, p + 1);
        countBytesIn(lane, laneBase, p, 1, size);
        return OK;
    }

    /**
     * Adds a single-producer claim's bytes to the lane's bytes-in counter without an atomic add: the
     * producer's threads take turns in claim order ({@link #bytesInCountedTo}), so the counter has
     * one writer at a time. A thread waits here only for an earlier claim of its own process that is
     * still being written; one producing thread never waits.
     */
    private void countBytesIn(int lane, int laneBase, long p, long n, long bytes) {
        for (int spins = 0; (long) LONG_ARRAY.getAcquire(bytesInCountedTo, lane) < p; spins++) {
            if (spins > 128) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        long total = bytesIn[lane] + bytes;
        bytesIn[lane] = total;
        LONG.setRelease(buf, laneBase + BYTES_IN, total);
        LONG_ARRAY.setRelease(bytesInCountedTo, lane, p + n);
    }

    /**
     * Takes the producer role of a single-producer file for this process: from nobody, from a
     * process that closed its last handle, or from a dead one, whose unfinished claims are then
     * tombstoned (see {@link #tombstoneUntaggedClaims}).
     *
     * @throws QueueClosedException when the role was given back on this ring (see {@link #producerReleased}):
     *     a call that passed its handle's closed check just before the close would otherwise take the
     *     role on a ring no handle will release, and every other process would be refused the role
     *     until this one exits
     * @throws QueueException when another live process holds the role
     */
    void claimProducerRole() {
        synchronized (producerRole) {
            if (producing) {
                return;
            }
            if (producerReleased) {
                throw releasedBeforeClaim("put");
            }
            takeRole(PRODUCER_OWNER_OFFSET, "producers", "producer", "put into it", "producing");
            for (int lane = 0; lane < lanes; lane++) {
                if (singleConsumer) {
                    soloTakeOverProducing(lane);
                } else {
                    tombstoneUntaggedClaims(lane);
                }
            }
            producing = true;
        }
    }

    /**
     * Makes this process the holder of a role word ({@link RingLayout#PRODUCER_OWNER_OFFSET} or
     * {@link RingLayout#CONSUMER_OWNER_OFFSET}) by CAS: from nobody, from a process that closed its
     * last handle (which cleared the word), or from a dead process. The caller then takes over what
     * the previous holder left.
     *
     * @param option the descriptor option that made the role ({@code producers}, {@code consumers})
     * @param role the holder's name in the message
     * @param action what only the holder may do, in the message
     * @param plural the adjective of several such processes, in the message
     * @throws QueueException naming the holder's pid when another live process holds the role
     */
    private void takeRole(int ownerOffset, String option, String role, String action, String plural) {
        long me = tag(0);
        for (;;) {
            long owner = get(ownerOffset);
            if (owner != 0 && owner != me && users.isAlive(owner)) {
                int u = RingLayout.tagUser(owner);
                long pid = (long) LONG.getAcquire(buf, RingLayout.userOffset(u) + RingLayout.USER_PID);
                throw new QueueException("shared-memory queue " + name + " was created with " + option + "=single,"
                        + " and process " + pid + " is its " + role + ": only one process may " + action + " at a"
                        + " time (another may once that one has closed its handles or died); use " + option
                        + "=multi for several " + plural + " processes");
            }
            if (owner == me || cas(ownerOffset, owner, me)) {
                return;
            }
        }
    }

    /**
     * Gives the producer role back (the last handle of this process on the file is closing), so
     * that another process may produce. Puts on this process's closed handles are refused before
     * they reach the ring.
     */
    void releaseProducerRole() {
        synchronized (producerRole) {
            producerReleased = true;
            if (producing) {
                // A single-consumer file's put holds the producer turn while it writes: wait for it.
                boolean turn = singleConsumer && !confined;
                if (turn) {
                    producerLock.lock();
                }
                try {
                    producing = false;
                    cas(PRODUCER_OWNER_OFFSET, tag(0), 0);
                } finally {
                    if (turn) {
                        producerLock.unlock();
                    }
                }
            }
        }
    }

    /**
     * Run by a process that has just taken the producer role: the previous producer's claims that
     * carry no writer tag (it died between its index CAS and its tag) become tombstones, since
     * consumers recover an untagged claim only while the role names a dead process. Tagged claims
     * name their dead process and are recovered by consumers as in a multi-producer file. Then the
     * bytes-in turn starts at the producer index (bytes of a dead producer's uncounted claims are
     * not counted). The caller publishes what this sets by its volatile write of {@link #producing}.
     */
    private void tombstoneUntaggedClaims(int lane) {
        final int laneBase = layout.laneOffset(lane);
        long c = get(laneBase + CONSUMER_INDEX);
        long p = producerIndexOf(laneBase);
        Stall stall = new Stall();
        for (long i = Math.max(c, p - capacity); i < p; i++) {
            int slot = layout.slotOffset(lane, i);
            long writer = get(slot + SLOT_WRITER);
            if (RingLayout.isTagFor(writer, i)) {
                int batch = (int) INT.get(buf, slot + SLOT_BATCH);
                i += (batch >= 1 && batch <= capacity ? batch : 1) - 1;
                continue;
            }
            for (int attempt = 0;; attempt++) {
                long s = get(slot + SLOT_SEQUENCE);
                if (s == i) {
                    if (cas(slot + SLOT_SEQUENCE, i, (i + 1) | TOMBSTONE)) {
                        add(ABANDONED_OFFSET, 1);
                        break;
                    }
                    continue;
                }
                if ((s & INDEX_MASK) > i) {
                    break; // published, a tombstone already, or taken since
                }
                // Its previous item is still being read: wait for it (or recover a dead reader).
                stall.at(lane, i, s);
                checkStall(stall);
                pause(attempt);
            }
        }
        bytesIn[lane] = get(laneBase + BYTES_IN);
        bytesInCountedTo[lane] = p;
    }

    /**
     * Whether a lane has room for {@code wanted} more items, judged from the slot the last of them
     * needs rather than from the consumers' index: a full producer waiting here reads a slot that
     * consumers will reach only {@code wanted} items later, so it does not pull the lines they are
     * working on away from them. A hint: true may be stale, false may be briefly wrong.
     *
     * @param wanted from 1 to the capacity
     */
    boolean hasRoomFor(int lane, int wanted) {
        if (singleConsumer) {
            int laneBase = layout.laneOffset(lane);
            return get(laneBase + PRODUCER_INDEX) + wanted <= get(laneBase + CONSUMER_INDEX) + capacity;
        }
        long p = producerIndexOf(layout.laneOffset(lane));
        // The slot of index w is free for its lap once the item ringLength before it was read,
        // which leaves room for `wanted` items below the limit consumerIndex + capacity.
        long w = p + (ringLength - capacity) + wanted - 1;
        return (get(layout.slotOffset(lane, w) + SLOT_SEQUENCE) & INDEX_MASK) >= w;
    }

    /**
     * Adds all items to a lane as one batch, or none when there is not room for all now. Waits (with
     * recovery) while a slot of the batch is still being read, which ends within a read or a stall
     * timeout.
     *
     * @return {@link #OK} or {@link #FULL}
     */
    int tryOfferAll(int lane, Payload[] items) {
        if (singleConsumer) {
            return soloOfferAll(lane, items);
        }
        if (singleProducer && !producing) {
            claimProducerRole();
        }
        final int laneBase = layout.laneOffset(lane);
        final int n = items.length;
        for (;;) {
            long p;
            for (;;) {
                p = claimableProducerIndex(laneBase);
                if (p + n > get(laneBase + CONSUMER_INDEX) + capacity) {
                    return FULL;
                }
                if (cas(laneBase + PRODUCER_INDEX, p, p + n)) {
                    break;
                }
            }
            int written = 0;
            boolean takenOver = false;
            Stall stall = new Stall();
            try {
                for (int k = 0; k < n; k++) {
                    int slot = awaitFree(lane, p + k, stall);
                    if (!beginWrite(slot, p + k, k == 0 ? n : 1)) {
                        takenOver = true;
                        break;
                    }
                    written = k + 1;
                    writePayload(slot, items[k]);
                }
            } catch (RuntimeException | Error e) {
                abandon(lane, p, written, n, 0);
                if (singleProducer) {
                    countBytesIn(lane, laneBase, p, n, 0);
                }
                throw e;
            }
            if (takenOver) {
                // Only the first slot can be taken over (consumers cannot pass it), and its taker
                // counted it: give up the rest.
                abandon(lane, p, written, n, 1);
                continue;
            }
            // Publish back to front: consumers reach the batch through its first slot only.
            long bytes = 0;
            for (int k = n - 1; k >= 0; k--) {
                LONG.setRelease(buf, layout.slotOffset(lane, p + k) + SLOT_SEQUENCE, p + k + 1);
                bytes += items[k].size();
            }
            if (singleProducer) {
                countBytesIn(lane, laneBase, p, n, bytes);
            } else {
                add(laneBase + BYTES_IN, bytes);
            }
            return OK;
        }
    }

    /** Waits until the slot of {@code index}, claimed by us, is free of its previous item. */
    private int awaitFree(int lane, long index, Stall stall) {
        int slot = layout.slotOffset(lane, index);
        for (int attempt = 0;; attempt++) {
            long s = get(slot + SLOT_SEQUENCE);
            if (s == index) {
                stall.clear();
                return slot;
            }
            stall.at(lane, index, s);
            if (checkStall(stall)) {
                forceIfStuckForever(slot, s, index, stall);
            }
            pause(attempt);
        }
    }

    /**
     * Tombstones our whole claim {@code [p, p + n)}: the first {@code written} slots we began
     * writing, the rest once their previous items are read.
     */
    private void abandon(int lane, long p, int written, int n, int alreadyCounted) {
        Stall stall = new Stall();
        for (int k = n - 1; k >= 0; k--) {
            long index = p + k;
            int slot = layout.slotOffset(lane, index);
            if (k < written && !singleProducer) {
                cas(slot + SLOT_SEQUENCE, index | WRITING, (index + 1) | TOMBSTONE);
            } else {
                awaitFreeOrTombstoned(lane, index, slot, stall);
            }
        }
        add(ABANDONED_OFFSET, n - alreadyCounted);
    }

    private void awaitFreeOrTombstoned(int lane, long index, int slot, Stall stall) {
        for (;;) {
            long s = get(slot + SLOT_SEQUENCE);
            if (s == ((index + 1) | TOMBSTONE)) {
                return;
            }
            if (s == index && cas(slot + SLOT_SEQUENCE, index, (index + 1) | TOMBSTONE)) {
                return;
            }
            stall.at(lane, index, s);
            if (checkStall(stall)) {
                forceIfStuckForever(slot, s, index, stall);
            }
            Thread.yield();
        }
    }

    /**
     * A slot whose sequence word has not moved for ten stall timeouts, while we hold its index, and
     * which no live process holds, can only be damaged (dead owners are recovered within a stall
     * timeout): free it for our index so the batch can go on. A live process's tagged claim or read
     * of the previous lap's item is never forced, however long it lasts (a debugger, SIGSTOP): its
     * free (or publish) would fail (or write over our item), and a live consumer would lose the
     * item it read. Checked at the liveness check's pace ({@link #checkStall}'s result).
     */
    private void forceIfStuckForever(int slot, long s, long index, Stall stall) {
        if (System.nanoTime() - stall.since > 10 * stallTimeoutNanos && !heldByLiveProcess(slot, s, index)
                && cas(slot + SLOT_SEQUENCE, s, index)) {
            add(LOST_READS_OFFSET, 1);
        }
    }

    /**
     * Whether the slot of {@code index}, holding sequence {@code s}, holds the previous lap's item
     * for a live process: claimed by its producer or read by its consumer, tagged for that item.
     */
    private boolean heldByLiveProcess(int slot, long s, long index) {
        long previous = index - ringLength;
        long word;
        if ((s & INDEX_MASK) == previous + 1) {
            word = get(slot + SLOT_READER);
        } else if ((s & INDEX_MASK) == previous) {
            word = get(slot + SLOT_WRITER);
        } else {
            return false;
        }
        return RingLayout.isTagFor(word, previous) && users.isAlive(word);
    }

    /** Tags the slot and moves it to WRITING; false if a recovering waiter took it over first. */
    private boolean beginWrite(int slot, long index, int batch) {
        INT.set(buf, slot + SLOT_BATCH, batch);
        LONG.setRelease(buf, slot + SLOT_WRITER, tag(index));
        // Single producer: nobody takes over a live producer's claim, so the slot stays at `index`
        // until it is published.
        return singleProducer || cas(slot + SLOT_SEQUENCE, index, index | WRITING);
    }

    private void writePayload(int slot, Payload item) {
        INT.set(buf, slot + SLOT_ITEM_LENGTH, item.size());
        item.writeTo(buf, slot + SLOT_HEADER_LENGTH);
    }

    /**
     * Adds one item of raw bytes to a lane of a single-consumer file if there is room now: as
     * {@link #tryOffer}, with the bytes copied as they are, so that the put allocates no payload.
     *
     * @param bytes the item's bytes, at most the item size
     * @return {@link #OK} or {@link #FULL}
     */
    int tryOfferBytes(int lane, byte[] bytes) {
        return soloOffer(lane, null, bytes);
    }

    // ---- consumers

    /**
     * Takes the head of a lane if one is published.
     *
     * @param codec decodes the payload; null to discard it
     * @return the item, {@link #DISCARDED}, {@link #EMPTY}, or {@link #IN_FLIGHT} with
     *     {@code stall} naming the slot
     * @throws QueueException when the slot is damaged (the slot is freed; the queue goes on)
     */
    Object tryPoll(int lane, Codec<?> codec, Stall stall) {
        return tryPoll(lane, codec, stall, true);
    }

    /**
     * Takes the head of a lane if one is published.
     *
     * @param codec decodes the payload; null to discard it
     * @param precise whether to tell an empty lane from a head still being written; a waiter that
     *     will try again passes false between its periodic precise attempts
     * @param stall where an {@link #IN_FLIGHT} result names the slot; may be null when not precise
     * @return the item, {@link #DISCARDED}, {@link #EMPTY}, {@link #IN_FLIGHT} with {@code stall}
     *     naming the slot, or (only when not precise) {@link #NOT_READY}
     * @throws QueueException when the slot is damaged (the slot is freed; the queue goes on)
     */
    Object tryPoll(int lane, Codec<?> codec, Stall stall, boolean precise) {
        if (singleConsumer) {
            return soloPoll(lane, codec, stall, precise);
        }
        final int laneBase = layout.laneOffset(lane);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            int slot = layout.slotOffset(lane, c);
            long s = get(slot + SLOT_SEQUENCE);
            long next = c + 1;
            if (s == next) {
                if (cas(laneBase + CONSUMER_INDEX, c, next)) {
                    LONG.setRelease(buf, slot + SLOT_READER, tag(c));
                    int length = (int) INT.get(buf, slot + SLOT_ITEM_LENGTH);
                    Object item;
                    try {
                        item = read(lane, c, slot, length, codec);
                    } catch (RuntimeException | Error e) {
                        // An Error from the codec (a deep graph's StackOverflowError, a missing class,
                        // an assertion): free the slot unread, counted as lost as pollRun does, since
                        // a slot tagged by a live process is never taken from it and producers that
                        // lap onto it would wait until this process exits.
                        if (cas(slot + SLOT_SEQUENCE, next, c + ringLength)) {
                            add(LOST_READS_OFFSET, 1);
                        }
                        throw e;
                    }
                    // The free is a CAS: if a waiter recovered the slot because we looked dead, what we
                    // copied may be torn, and the item counts as lost.
                    if (!cas(slot + SLOT_SEQUENCE, next, c + ringLength)) {
                        continue;
                    }
                    if (item instanceof Unreadable u) {
                        throw u.failure;
                    }
                    add(laneBase + BYTES_OUT, length);
                    return item;
                }
            } else if (s == (next | TOMBSTONE)) {
                if (cas(laneBase + CONSUMER_INDEX, c, next)) {
                    cas(slot + SLOT_SEQUENCE, s, c + ringLength);
                    add(SKIPPED_OFFSET, 1);
                }
            } else if ((s & INDEX_MASK) <= c) {
                if (!precise) {
                    return NOT_READY;
                }
                if (c >= producerIndexOf(laneBase)) {
                    return EMPTY;
                }
                if (get(laneBase + CONSUMER_INDEX) == c) {
                    stall.at(lane, c, s);
                    return IN_FLIGHT;
                }
            } else if (get(laneBase + CONSUMER_INDEX) == c) {
                // Free the slot so the queue goes on; report the damage.
                cas(slot + SLOT_SEQUENCE, s, (c + 1) | TOMBSTONE);
                throw corrupt("slot of index " + c + " in lane " + lane + " has sequence 0x" + Long.toHexString(s)
                        + " ahead of the consumer index; it was turned into a tombstone");
            }
        }
    }

    /** What {@link #read} returns for an item that could not be read. */
    private static final class Unreadable {
        final RuntimeException failure;

        Unreadable(RuntimeException failure) {
            this.failure = failure;
        }
    }

    /**
     * Decodes the item in a slot that we claimed and tagged, before the free that decides whether
     * what we read counts.
     *
     * @param length the slot's length word
     * @param codec decodes the payload; null to discard it
     * @return the item, {@link #DISCARDED}, or an {@link Unreadable} naming a damaged length or the
     *     codec's refusal
     */
    private Object read(int lane, long index, int slot, int length, Codec<?> codec) {
        if (length < 0 || length > itemSize) {
            return new Unreadable(corrupt("the item of index " + index + " in lane " + lane + " claims " + length
                    + " bytes, outside 0.." + itemSize + "; it was skipped"));
        }
        if (codec == null) {
            return DISCARDED;
        }
        if (codec == RAW_BYTES) {
            // The raw bytes codec's item is the bytes: copy them out without a slice per item.
            byte[] bytes = new byte[length];
            buf.get(slot + payloadOffset, bytes, 0, length);
            return bytes;
        }
        try {
            return codec.decode(buf.slice(slot + payloadOffset, length));
        } catch (RuntimeException e) {
            return new Unreadable(e);
        }
    }

    /** Where {@link #pollRun} puts what it took. */
    interface RunSink {
        /** @param item an item taken, decoded */
        void item(Object item);

        /**
         * An item taken that could not be read (a damaged slot, or the codec refused it): it was
         * skipped, and the rest of the run goes on.
         *
         * @param failure why
         */
        void skipped(RuntimeException failure);
    }

    /**
     * Takes the run of published items at the head of a lane, at most {@code max}, with one claim of
     * the consumer index for all of them (a consumer of single items claims one index at a time).
     * The claim is the same CAS as {@link #tryPoll}'s, moved by the run's length, and the run holds
     * only slots published for their index, so that no other consumer, clear or recovery can change
     * them before it: after it, each slot gets its reader tag at once, before any is read, and is
     * then read and freed with a CAS, as a single poll does. Tombstones at the head are skipped;
     * the run stops at the first slot that is not a published item.
     *
     * @param max the most items to take, at least 1
     * @return how many indices were claimed (each given to {@code sink} as an item or a failure,
     *     unless a waiter recovered its slot because we looked dead); 0 when the head holds no
     *     published item
     */
    int pollRun(int lane, Codec<?> codec, int max, RunSink sink) {
        if (singleConsumer) {
            return soloPollRun(lane, codec, max, sink);
        }
        final int laneBase = layout.laneOffset(lane);
        final long most = Math.min(max, capacity);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            int slot = layout.slotOffset(lane, c);
            long s = get(slot + SLOT_SEQUENCE);
            if (s == ((c + 1) | TOMBSTONE)) {
                skipTombstone(lane, c, slot, s);
                continue;
            }
            if (s != c + 1) {
                return 0;
            }
            long k = 1;
            while (k < most && get(layout.slotOffset(lane, c + k) + SLOT_SEQUENCE) == c + k + 1) {
                k++;
            }
            if (!cas(laneBase + CONSUMER_INDEX, c, c + k)) {
                continue;
            }
            for (long i = c; i < c + k; i++) {
                LONG.setRelease(buf, layout.slotOffset(lane, i) + SLOT_READER, tag(i));
            }
            long bytes = 0;
            long unfreed = c;
            try {
                for (long i = c; i < c + k; i++) {
                    slot = layout.slotOffset(lane, i);
                    int length = (int) INT.get(buf, slot + SLOT_ITEM_LENGTH);
                    Object item = read(lane, i, slot, length, codec);
                    // As in tryPoll: a failed free means a waiter recovered the slot because we looked
                    // dead; what we copied may be torn, and the item counts as lost.
                    boolean freed = cas(slot + SLOT_SEQUENCE, i + 1, i + ringLength);
                    unfreed = i + 1;
                    if (!freed) {
                        continue;
                    }
                    if (item instanceof Unreadable u) {
                        sink.skipped(u.failure);
                    } else {
                        bytes += length;
                        sink.item(item);
                    }
                }
            } finally {
                // Something escaped (an Error while decoding, the sink refusing an item): free the
                // rest of the run unread, counted as lost, so that producers are not left waiting
                // on slots whose live reader will never free them.
                for (long i = unfreed; i < c + k; i++) {
                    if (cas(layout.slotOffset(lane, i) + SLOT_SEQUENCE, i + 1, i + ringLength)) {
                        add(LOST_READS_OFFSET, 1);
                    }
                }
                if (bytes != 0) {
                    add(laneBase + BYTES_OUT, bytes);
                }
            }
            return (int) k;
        }
    }

    /**
     * The head of a lane without removing it.
     *
     * @return the decoded item, {@link #EMPTY} or {@link #IN_FLIGHT}
     */
    Object peek(int lane, Codec<?> codec) {
        if (singleConsumer) {
            return soloPeek(lane, codec);
        }
        final int laneBase = layout.laneOffset(lane);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            int slot = layout.slotOffset(lane, c);
            long s = get(slot + SLOT_SEQUENCE);
            if (s == c + 1) {
                int length = (int) INT.get(buf, slot + SLOT_ITEM_LENGTH);
                byte[] copy = new byte[Math.max(0, (int) Math.min(length, itemSize))];
                buf.get(slot + SLOT_HEADER_LENGTH, copy, 0, copy.length);
                VarHandle.acquireFence();
                if (get(laneBase + CONSUMER_INDEX) == c && get(slot + SLOT_SEQUENCE) == s) {
                    if (length < 0 || length > itemSize) {
                        throw corrupt("the item of index " + c + " in lane " + lane + " claims " + length + " bytes");
                    }
                    return codec.decode(ByteBuffer.wrap(copy));
                }
            } else if (s == ((c + 1) | TOMBSTONE)) {
                skipTombstone(lane, c, slot, s);
            } else if ((s & INDEX_MASK) <= c) {
                if (c >= producerIndexOf(laneBase)) {
                    return EMPTY;
                }
                if (get(laneBase + CONSUMER_INDEX) == c) {
                    return IN_FLIGHT;
                }
            } else if (get(laneBase + CONSUMER_INDEX) == c) {
                return IN_FLIGHT;
            }
        }
    }

    /**
     * Whether a lane's head holds a published item (tombstones at the head are skipped).
     *
     * @param stall set when the head is claimed but not yet published
     */
    boolean hasPublishedHead(int lane, Stall stall) {
        if (singleConsumer) {
            return soloHasPublishedHead(lane, stall);
        }
        final int laneBase = layout.laneOffset(lane);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            if (c >= producerIndexOf(laneBase)) {
                return false;
            }
            int slot = layout.slotOffset(lane, c);
            long s = get(slot + SLOT_SEQUENCE);
            if (s == c + 1) {
                return true;
            }
            if (s == ((c + 1) | TOMBSTONE)) {
                skipTombstone(lane, c, slot, s);
                continue;
            }
            if (get(laneBase + CONSUMER_INDEX) == c) {
                stall.at(lane, c, s);
                return false;
            }
        }
    }

    private void skipTombstone(int lane, long c, int slot, long s) {
        if (cas(layout.laneOffset(lane) + CONSUMER_INDEX, c, c + 1)) {
            cas(slot + SLOT_SEQUENCE, s, c + ringLength);
            add(SKIPPED_OFFSET, 1);
        }
    }

    // ---- recovery

    /**
     * Called by a waiter between attempts: every few milliseconds, checks whether the process that
     * holds the stalled slot is dead (or, for an untagged claim, whether the stall timeout passed)
     * and if so takes the slot over.
     *
     * @param stall where the waiter is stuck; ignored when clear
     * @return true if it checked now (at most once per {@link #LIVENESS_CHECK_NANOS})
     */
    boolean checkStall(Stall stall) {
        if (stall.lane < 0) {
            return false;
        }
        long now = System.nanoTime();
        if (now - stall.lastCheck < LIVENESS_CHECK_NANOS) {
            return false;
        }
        stall.lastCheck = now;
        boolean timedOut = now - stall.since > stallTimeoutNanos;
        if (recover(stall.lane, stall.index, stall.seq, timedOut)) {
            stall.clear();
        }
        return true;
    }

    /**
     * Takes over the slot of {@code index} when whoever holds it is dead.
     *
     * @param observed the sequence word the waiter saw
     * @param timedOut whether the waiter has seen that same word for longer than the stall timeout
     * @return true if the slot changed (by us or anyone)
     */
    boolean recover(int lane, long index, long observed, boolean timedOut) {
        if (singleConsumer) {
            return soloRecover(lane, index, observed);
        }
        final int laneBase = layout.laneOffset(lane);
        int slot = layout.slotOffset(lane, index);
        long s = get(slot + SLOT_SEQUENCE);
        if (s != observed) {
            return true;
        }
        if (s == index || s == (index | WRITING)) {
            // Claimed by a producer that has not published.
            if (index >= producerIndexOf(laneBase)) {
                return false;
            }
            // A writer word of 0 (a new file's slot, before the claim's tag store) is no tag: a
            // single producer publishes with a plain store, so taking its live claim for a dead
            // one would lose the item, and a multi producer's untagged claim waits the timeout.
            long writer = get(slot + SLOT_WRITER);
            boolean tagged = RingLayout.isTagFor(writer, index);
            boolean dead = tagged ? !users.isAlive(writer)
                    : singleProducer ? producerRoleHolderIsDead() : (s == index && timedOut);
            if (!dead) {
                return false;
            }
            int batch = tagged ? (int) INT.get(buf, slot + SLOT_BATCH) : 1;
            return abandonDeadBatch(lane, index, s, batch < 1 || batch > capacity ? 1 : batch);
        }
        long previous = index - ringLength;
        if (s == previous + 1 || s == ((previous + 1) | TOMBSTONE)) {
            // Still holds the previous lap's item: claimed by a consumer that has not freed it.
            if (previous >= get(laneBase + CONSUMER_INDEX)) {
                return false;
            }
            long reader = get(slot + SLOT_READER);
            boolean dead = RingLayout.isTagFor(reader, previous) ? !users.isAlive(reader) : timedOut;
            if (dead && cas(slot + SLOT_SEQUENCE, s, index)) {
                if ((s & TOMBSTONE) == 0) {
                    add(LOST_READS_OFFSET, 1);
                }
                return true;
            }
        }
        return false;
    }

    /**
     * Single-producer files: whether the process holding the producer role is dead, so that its
     * untagged claims may be taken over (a live producer's never are, however long it stalls: it
     * publishes with a plain store, not a CAS that a takeover would make fail).
     */
    private boolean producerRoleHolderIsDead() {
        long owner = get(PRODUCER_OWNER_OFFSET);
        return owner != 0 && !users.isAlive(owner);
    }

    /**
     * Tombstones a dead producer's batch of {@code n} starting at {@code index}, back to front, so
     * that no consumer can start on it before all of it is a tombstone.
     */
    private boolean abandonDeadBatch(int lane, long index, long firstSeq, int n) {
        for (int k = n - 1; k >= 1; k--) {
            long i = index + k;
            int slot = layout.slotOffset(lane, i);
            long s = get(slot + SLOT_SEQUENCE);
            if (s == ((i + 1) | TOMBSTONE)) {
                continue;
            }
            if (s != i && s != (i | WRITING) && s != i + 1) {
                return false; // its previous item is still being read; try again later
            }
            if (!cas(slot + SLOT_SEQUENCE, s, (i + 1) | TOMBSTONE)) {
                return false;
            }
        }
        int slot = layout.slotOffset(lane, index);
        if (cas(slot + SLOT_SEQUENCE, firstSeq, (index + 1) | TOMBSTONE)) {
            add(ABANDONED_OFFSET, n);
            return true;
        }
        return false;
    }

    // ---- clear

    /**
     * Removes every item present at one instant, in every lane. Holding the clear turn, it holds
     * each lane's producer index still (its {@link RingLayout#CLEARING} bit makes producers wait),
     * moves each consumer index up to it with one CAS, claiming every item below, and lets the
     * producers go: linearizable at the last of those CASes, unlike polling until empty, which
     * also takes items put while it runs. Then it frees each claimed slot, waiting for producers
     * that had claimed but not yet published (or recovering their slots if they died).
     *
     * <p>A clearing process that dies holding producer indices is found by the producers it holds
     * up ({@link #awaitClearing}) and by the next clear, which let go for it.
     *
     * @return how many items were removed
     */
    long clear() {
        if (singleConsumer) {
            return soloClear();
        }
        long me = tag(0);
        acquireClearTurn(me);
        try {
            long[] from = new long[lanes];
            long[] to = new long[lanes];
            try {
                for (int lane = 0; lane < lanes; lane++) {
                    int laneBase = layout.laneOffset(lane);
                    for (;;) {
                        long p = get(laneBase + PRODUCER_INDEX);
                        if (p >= 0 && cas(laneBase + PRODUCER_INDEX, p, p | CLEARING)) {
                            to[lane] = p;
                            break;
                        }
                        if (p < 0) {
                            // We hold the turn: a hold on the index is a dead clearer's leftover.
                            cas(laneBase + PRODUCER_INDEX, p, p & ~CLEARING);
                        }
                    }
                }
                for (int lane = 0; lane < lanes; lane++) {
                    int laneBase = layout.laneOffset(lane);
                    for (;;) {
                        long c = get(laneBase + CONSUMER_INDEX);
                        if (c >= to[lane]) {
                            from[lane] = to[lane];
                            break;
                        }
                        if (cas(laneBase + CONSUMER_INDEX, c, to[lane])) {
                            from[lane] = c;
                            break;
                        }
                    }
                }
            } finally {
                for (int lane = 0; lane < lanes; lane++) {
                    int laneBase = layout.laneOffset(lane);
                    long p = get(laneBase + PRODUCER_INDEX);
                    if (p < 0) {
                        cas(laneBase + PRODUCER_INDEX, p, p & ~CLEARING);
                    }
                }
            }
            long removed = 0;
            Stall stall = new Stall();
            for (int lane = 0; lane < lanes; lane++) {
                for (long index = from[lane]; index < to[lane]; index++) {
                    removed += freeCleared(lane, index, stall);
                }
            }
            add(CLEARED_OFFSET, removed);
            return removed;
        } finally {
            cas(CLEAR_OWNER_OFFSET, me, 0);
        }
    }

    /**
     * Takes the clear turn: waits while another live process holds it, and takes it over from a
     * dead one, letting go of the producer indices that one still held.
     */
    private void acquireClearTurn(long me) {
        long lastCheck = System.nanoTime();
        for (int spins = 0;; spins++) {
            long owner = get(CLEAR_OWNER_OFFSET);
            if (owner == 0 && cas(CLEAR_OWNER_OFFSET, 0, me)) {
                return;
            }
            if (owner != 0 && System.nanoTime() - lastCheck > LIVENESS_CHECK_NANOS) {
                lastCheck = System.nanoTime();
                if (!users.isAlive(owner) && cas(CLEAR_OWNER_OFFSET, owner, me)) {
                    for (int lane = 0; lane < lanes; lane++) {
                        int laneBase = layout.laneOffset(lane);
                        long p = get(laneBase + PRODUCER_INDEX);
                        if (p < 0) {
                            cas(laneBase + PRODUCER_INDEX, p, p & ~CLEARING);
                        }
                    }
                    return;
                }
            }
            if (spins > 128) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Frees the slot of a cleared index once its producer has published (or its claim was
     * recovered).
     *
     * @return 1 if it held an item, 0 for a tombstone
     */
    private int freeCleared(int lane, long index, Stall stall) {
        int slot = layout.slotOffset(lane, index);
        for (int attempt = 0;; attempt++) {
            long s = get(slot + SLOT_SEQUENCE);
            if (s == index + 1 || s == ((index + 1) | TOMBSTONE)) {
                LONG.setRelease(buf, slot + SLOT_READER, tag(index));
                if (cas(slot + SLOT_SEQUENCE, s, index + ringLength)) {
                    if (s == index + 1) {
                        return 1;
                    }
                    add(SKIPPED_OFFSET, 1);
                    return 0;
                }
                continue;
            }
            stall.at(lane, index, s);
            checkStall(stall);
            pause(attempt);
        }
    }

    // ---- single consumer (consumers=single with producers=single): a one-to-one ring

    private int denseSequence(int lane, long index) {
        return layout.slotOffset(lane, index) + DENSE_SLOT_SEQUENCE;
    }

    /**
     * Whether a live process is inside a single-consumer {@link #soloClear()}: between its snapshot
     * of the producer indices, where it takes effect, and its stores of the consumer indices. In
     * that window the consumer indices still count items the clear has removed, so a reader that
     * combines them with the producer index must not conclude from them (Lincheck found a put
     * refused as full just after a clear that had emptied the queue).
     */
    private boolean soloClearing() {
        long owner = get(CLEAR_OWNER_OFFSET);
        return owner != 0 && users.isAlive(owner);
    }

    /**
     * The consumer index of a single-consumer lane at an instant when no clear was between its
     * snapshot and its store ({@link #soloClearing()}): read, the clear turn found free, read again
     * unchanged. A clear open at the first read either is still open (wait) or has stored a new
     * index by the second.
     */
    private long soloSettledConsumerIndex(int laneBase) {
        for (int spins = 0;; spins++) {
            long c = get(laneBase + CONSUMER_INDEX);
            if (!soloClearing() && get(laneBase + CONSUMER_INDEX) == c) {
                return c;
            }
            pause(spins);
        }
    }

    /**
     * One round of a wait on another process's slot or index: spin, then yield. It never parks: the
     * waits of this class end when another process writes the mapping, which no signal reports,
     * and each round also checks for a dead owner ({@link #checkStall}).
     *
     * @param attempt rounds waited so far
     */
    private static void pause(int attempt) {
        if (attempt > 1000) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }

    /**
     * Single-consumer files: makes this thread the producer of its process, holding the role, and
     * (unless confined) the producer turn. The role is checked again once the turn is held: the
     * role is given back only under the turn, when the process's last handle closes or the queue is
     * destroyed, and this ring is then attached no more (a reopen makes a new one). A thread that
     * waited for the turn meanwhile is refused as a call on a closed handle is: were it to take the
     * role again, nothing would ever give it back, and every other process would be refused the
     * role until this one exits.
     *
     * @throws QueueClosedException when the role was given back while this thread waited for the turn
     */
    private void lockProducing() {
        if (!producing) {
            claimProducerRole();
        }
        if (confined) {
            return;
        }
        producerLock.lock();
        if (!producing) {
            producerLock.unlock();
            throw releasedWhileWaiting("put");
        }
    }

    /** Single-consumer files: as {@link #lockProducing} for the consumer role and turn. */
    private void lockConsuming() {
        if (!consuming) {
            claimConsumerRole();
        }
        if (confined) {
            return;
        }
        consumerLock.lock();
        if (!consuming) {
            consumerLock.unlock();
            throw releasedWhileWaiting("take");
        }
    }

    /** Why a call that waited for its turn while the ring was let go of was refused. */
    private QueueClosedException releasedWhileWaiting(String call) {
        return new QueueClosedException(letGoOf() + " while a " + call + " waited for its turn; nothing was changed");
    }

    /** Why a call that reached the role check after the ring was let go of was refused. */
    private QueueClosedException releasedBeforeClaim(String call) {
        return new QueueClosedException(letGoOf() + " before a " + call + " took its role; nothing was changed");
    }

    private String letGoOf() {
        return "shared-memory queue " + name + (isDestroyed() ? " was destroyed"
                : " is closed (this process's last handle on it closed)");
    }

    /**
     * Adds one item: under {@link #producerLock} (a confined ring's one producing thread takes no
     * turn), room from the cached consumer index (re-read only when it says full), then the producer
     * index (ordered store, so {@code size()} counts the claim), length and payload with plain
     * stores, and the sequence {@code p + 1} with a release store.
     *
     * @param item the encoded item, when {@code bytes} is null
     * @param bytes the item's raw bytes, or null
     * @return {@link #OK} or {@link #FULL}
     */
    private int soloOffer(int lane, Payload item, byte[] bytes) {
        lockProducing();
        final int laneBase = layout.laneOffset(lane);
        try {
            long p = produced[lane];
            if (p >= consumedSeen[lane] + capacity) {
                long c = soloSettledConsumerIndex(laneBase);
                consumedSeen[lane] = c;
                if (p >= c + capacity) {
                    return FULL;
                }
            }
            int slot = layout.slotOffset(lane, p);
            int size = bytes != null ? bytes.length : item.size();
            produced[lane] = p + 1;
            LONG.setRelease(buf, laneBase + PRODUCER_INDEX, p + 1);
            try {
                INT.set(buf, slot + DENSE_SLOT_ITEM_LENGTH, size);
                if (bytes != null) {
                    buf.put(slot + DENSE_SLOT_HEADER_LENGTH, bytes, 0, size);
                } else {
                    item.writeTo(buf, slot + DENSE_SLOT_HEADER_LENGTH);
                }
            } catch (RuntimeException | Error e) {
                LONG.setRelease(buf, slot + DENSE_SLOT_SEQUENCE, (p + 1) | TOMBSTONE);
                add(ABANDONED_OFFSET, 1);
                throw e;
            }
            LONG.setRelease(buf, slot + DENSE_SLOT_SEQUENCE, p + 1);
            long total = bytesIn[lane] + size;
            bytesIn[lane] = total;
            LONG.setRelease(buf, laneBase + BYTES_IN, total);
            return OK;
        } finally {
            if (!confined) {
                producerLock.unlock();
            }
        }
    }

    /**
     * Adds all items as one batch, or none when there is no room for all now: the producer index
     * moves by the batch, the slots are written, then published back to front, so that the
     * consumer (which enters the batch through its first slot) never starts it before all of it is
     * written, and a producer killed half-way leaves a claim that {@link #soloTombstone} removes whole.
     *
     * @return {@link #OK} or {@link #FULL}
     */
    private int soloOfferAll(int lane, Payload[] items) {
        lockProducing();
        final int laneBase = layout.laneOffset(lane);
        final int n = items.length;
        try {
            long p = produced[lane];
            if (p + n > consumedSeen[lane] + capacity) {
                long c = soloSettledConsumerIndex(laneBase);
                consumedSeen[lane] = c;
                if (p + n > c + capacity) {
                    return FULL;
                }
            }
            produced[lane] = p + n;
            LONG.setRelease(buf, laneBase + PRODUCER_INDEX, p + n);
            long bytes = 0;
            try {
                for (int k = 0; k < n; k++) {
                    int slot = layout.slotOffset(lane, p + k);
                    INT.set(buf, slot + DENSE_SLOT_ITEM_LENGTH, items[k].size());
                    items[k].writeTo(buf, slot + DENSE_SLOT_HEADER_LENGTH);
                    bytes += items[k].size();
                }
            } catch (RuntimeException | Error e) {
                for (int k = n - 1; k >= 0; k--) {
                    LONG.setRelease(buf, denseSequence(lane, p + k), (p + k + 1) | TOMBSTONE);
                }
                add(ABANDONED_OFFSET, n);
                throw e;
            }
            for (int k = n - 1; k >= 0; k--) {
                LONG.setRelease(buf, denseSequence(lane, p + k), p + k + 1);
            }
            long total = bytesIn[lane] + bytes;
            bytesIn[lane] = total;
            LONG.setRelease(buf, laneBase + BYTES_IN, total);
            return OK;
        } finally {
            if (!confined) {
                producerLock.unlock();
            }
        }
    }

    /**
     * Run by a process that has just taken the producer role of a single-consumer file: the previous
     * producer's threads took turns, so only its last claim can be unfinished, and it is the run from
     * the first index not published (or tombstoned) to the producer index; that run becomes
     * tombstones. Then this process's producer state starts from the file. The caller publishes
     * these fields by its volatile write of {@link #producing}.
     */
    private void soloTakeOverProducing(int lane) {
        final int laneBase = layout.laneOffset(lane);
        long c = get(laneBase + CONSUMER_INDEX);
        long p = producerIndexOf(laneBase);
        for (long i = Math.max(c, p - capacity); i < p; i++) {
            long s = get(denseSequence(lane, i));
            if (s != i + 1 && s != ((i + 1) | TOMBSTONE)) {
                soloTombstone(lane, i, p);
                break;
            }
        }
        produced[lane] = p;
        consumedSeen[lane] = get(laneBase + CONSUMER_INDEX);
        bytesIn[lane] = get(laneBase + BYTES_IN);
    }

    /**
     * Turns a dead producer's unfinished claim {@code [from, to)} into tombstones, back to front,
     * each by a CAS from what it holds, so that two recoverers (the consumer and a new producer)
     * agree, and the consumer cannot enter the claim before all of it is a tombstone.
     */
    private void soloTombstone(int lane, long from, long to) {
        for (long i = to - 1; i >= from; i--) {
            int seq = denseSequence(lane, i);
            for (;;) {
                long s = get(seq);
                if (s == ((i + 1) | TOMBSTONE) || (s & INDEX_MASK) > i + 1) {
                    break;
                }
                if (cas(seq, s, (i + 1) | TOMBSTONE)) {
                    add(ABANDONED_OFFSET, 1);
                    break;
                }
            }
        }
    }

    /**
     * A consumer stalled at the unpublished head {@code index} of a single-consumer lane: if the
     * process holding the producer role is dead, its last claim, which starts at the head, becomes
     * tombstones. A producer that closed its handles, or that lives but stalls, is never taken over.
     */
    private boolean soloRecover(int lane, long index, long observed) {
        final int laneBase = layout.laneOffset(lane);
        long s = get(denseSequence(lane, index));
        if (s != observed) {
            return true;
        }
        long owner = get(PRODUCER_OWNER_OFFSET);
        if (owner == 0 || users.isAlive(owner)) {
            return false;
        }
        long p = producerIndexOf(laneBase);
        // The role moves before a new producer moves the index: an unchanged owner after reading the
        // index means the index is the dead producer's last.
        if (get(PRODUCER_OWNER_OFFSET) != owner || index >= p) {
            return false;
        }
        // Everything between the head and the stalled index must be finished: then the index starts
        // the dead producer's last claim (its earlier claims were all published).
        long c = get(laneBase + CONSUMER_INDEX);
        if (index < c) {
            return true;
        }
        for (long i = c; i < index; i++) {
            long si = get(denseSequence(lane, i));
            if (si != i + 1 && si != ((i + 1) | TOMBSTONE)) {
                return false;
            }
        }
        soloTombstone(lane, index, p);
        return true;
    }

    /**
     * Takes the consumer role of a single-consumer file for this process: from nobody, from a
     * process that closed its last handle, or from a dead one, whose claimed but unfinished run is
     * then counted as lost (never delivered twice).
     *
     * @throws QueueClosedException when the role was given back on this ring (as {@link #claimProducerRole})
     * @throws QueueException when another live process holds the role
     */
    void claimConsumerRole() {
        synchronized (consumerRole) {
            if (consuming) {
                return;
            }
            if (consumerReleased) {
                throw releasedBeforeClaim("take");
            }
            takeRole(CONSUMER_OWNER_OFFSET, "consumers", "consumer", "take from it (or clear it)", "consuming");
            consumerLock.lock();
            try {
                for (int lane = 0; lane < lanes; lane++) {
                    settleDeadConsumerRun(lane);
                }
            } finally {
                consumerLock.unlock();
            }
            consuming = true;
        }
    }

    /**
     * A previous consumer that died between recording its claim and moving the consumer index held
     * {@code [consumer index, claimed)}: those items are lost (counted, as a dead reader's are in
     * the other modes) and the consumer index moves past them.
     */
    private void settleDeadConsumerRun(int lane) {
        final int laneBase = layout.laneOffset(lane);
        long c = get(laneBase + CONSUMER_INDEX);
        long claimed = get(laneBase + CONSUMER_CLAIMED);
        if (claimed <= c) {
            LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, c);
            return;
        }
        long lost = 0;
        long skipped = 0;
        for (long i = c; i < claimed; i++) {
            if ((get(denseSequence(lane, i)) & TOMBSTONE) != 0) {
                skipped++;
            } else {
                lost++;
            }
        }
        add(LOST_READS_OFFSET, lost);
        add(SKIPPED_OFFSET, skipped);
        LONG.setRelease(buf, laneBase + CONSUMER_INDEX, claimed);
    }

    /**
     * Gives the consumer role back (the last handle of this process on the file is closing).
     */
    void releaseConsumerRole() {
        synchronized (consumerRole) {
            consumerReleased = true;
            if (consuming) {
                consumerLock.lock();
                try {
                    consuming = false;
                    cas(CONSUMER_OWNER_OFFSET, tag(0), 0);
                } finally {
                    consumerLock.unlock();
                }
            }
        }
    }

    /**
     * Takes the head of a single-consumer lane if one is published (tombstones at the head are
     * stepped over).
     *
     * @return as {@link #tryPoll(int, Codec, Stall, boolean)}
     */
    private Object soloPoll(int lane, Codec<?> codec, Stall stall, boolean precise) {
        checkNotInHandler();
        lockConsuming();
        final int laneBase = layout.laneOffset(lane);
        try {
            for (;;) {
                long c = get(laneBase + CONSUMER_INDEX);
                int slot = layout.slotOffset(lane, c);
                long s = get(slot + DENSE_SLOT_SEQUENCE);
                long next = c + 1;
                if (s == next) {
                    LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, next);
                    int length = (int) INT.get(buf, slot + DENSE_SLOT_ITEM_LENGTH);
                    Object item;
                    boolean read = false;
                    try {
                        item = read(lane, c, slot, length, codec);
                        read = true;
                    } finally {
                        if (!read) {
                            // An Error escaped the codec: the item is freed unread, counted as lost as
                            // soloPollChunk counts it.
                            add(LOST_READS_OFFSET, 1);
                        }
                        LONG.setRelease(buf, laneBase + CONSUMER_INDEX, next);
                    }
                    if (item instanceof Unreadable u) {
                        throw u.failure;
                    }
                    LONG.setRelease(buf, laneBase + BYTES_OUT, get(laneBase + BYTES_OUT) + length);
                    return item;
                }
                if (s == (next | TOMBSTONE)) {
                    LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, next);
                    LONG.setRelease(buf, laneBase + CONSUMER_INDEX, next);
                    add(SKIPPED_OFFSET, 1);
                    continue;
                }
                if ((s & INDEX_MASK) > next || (s & WRITING) != 0) {
                    throw soloDamaged(lane, c, slot, s);
                }
                if (!precise) {
                    return NOT_READY;
                }
                if (c >= producerIndexOf(laneBase)) {
                    return EMPTY;
                }
                stall.at(lane, c, s);
                return IN_FLIGHT;
            }
        } finally {
            if (!confined) {
                consumerLock.unlock();
            }
        }
    }

    /** A damaged head: turned into a tombstone so the queue goes on, and reported. */
    private QueueException soloDamaged(int lane, long c, int slot, long s) {
        cas(slot + DENSE_SLOT_SEQUENCE, s, (c + 1) | TOMBSTONE);
        return corrupt("slot of index " + c + " in lane " + lane + " has sequence 0x" + Long.toHexString(s)
                + " ahead of the consumer index; it was turned into a tombstone");
    }

    /**
     * Takes the run of published items (and tombstones) at the head of a single-consumer lane, at
     * most {@code max} items, in chunks of at most {@link #RUN_CHUNK}: for each, records the claim
     * ({@link RingLayout#CONSUMER_CLAIMED}), reads the chunk in place, then frees all of its slots
     * with one ordered store of the consumer index. A chunk is read while its slots, just scanned,
     * are still in the core's first-level cache (a whole run of a thousand 80-byte slots is not), and
     * its slots go back to the producer as soon as it is read.
     *
     * @return how many items were given to {@code sink} (as items or failures)
     */
    private int soloPollRun(int lane, Codec<?> codec, int max, RunSink sink) {
        checkNotInHandler();
        lockConsuming();
        final int laneBase = layout.laneOffset(lane);
        final long most = Math.min(max, capacity);
        try {
            long items = 0;
            while (items < most) {
                long wanted = Math.min(most - items, RUN_CHUNK);
                long got = soloPollChunk(lane, laneBase, codec, wanted, sink);
                items += got;
                if (got < wanted) {
                    break; // the chunk ended at a slot not published: so does the run
                }
            }
            return (int) items;
        } finally {
            if (!confined) {
                consumerLock.unlock();
            }
        }
    }

    /** The most items {@link #soloPollRun} claims, reads and frees at a time. */
    private static final long RUN_CHUNK = 128;

    /**
     * One chunk of {@link #soloPollRun}, under its turn: at most {@code most} items.
     *
     * @return the items given to {@code sink}
     */
    private long soloPollChunk(int lane, int laneBase, Codec<?> codec, long most, RunSink sink) {
        final long c = get(laneBase + CONSUMER_INDEX);
        final long end = soloRunEnd(lane, c, most);
        if (end == c) {
            return 0;
        }
        LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, end);
        long bytes = 0;
        long tombstones = 0;
        long i = c;
        try {
            for (; i < end; i++) {
                int slot = layout.slotOffset(lane, i);
                if (get(slot + DENSE_SLOT_SEQUENCE) != i + 1) {
                    tombstones++;
                    continue;
                }
                int length = (int) INT.get(buf, slot + DENSE_SLOT_ITEM_LENGTH);
                Object item = read(lane, i, slot, length, codec);
                if (item instanceof Unreadable u) {
                    sink.skipped(u.failure);
                } else {
                    bytes += length;
                    sink.item(item);
                }
            }
        } finally {
            // Something escaped (an Error while decoding, the sink refusing an item): the rest of
            // the run is freed unread and counted as lost.
            long lost = 0;
            for (long j = i + 1; j < end; j++) {
                if (get(denseSequence(lane, j)) == j + 1) {
                    lost++;
                } else {
                    tombstones++; // what the scan let into the run is published or a tombstone
                }
            }
            if (i < end && get(denseSequence(lane, i)) == i + 1) {
                lost++;
            }
            if (lost != 0) {
                add(LOST_READS_OFFSET, lost);
            }
            if (tombstones != 0) {
                add(SKIPPED_OFFSET, tombstones);
            }
            if (bytes != 0) {
                LONG.setRelease(buf, laneBase + BYTES_OUT, get(laneBase + BYTES_OUT) + bytes);
            }
            LONG.setRelease(buf, laneBase + CONSUMER_INDEX, end);
        }
        return end - c - tombstones;
    }

    /**
     * Where the run at the head {@code c} of a single-consumer lane ends: the published items and
     * tombstones from {@code c} on, at most {@code most} items and one capacity of slots.
     */
    private long soloRunEnd(int lane, long c, long most) {
        long end = c;
        long items = 0;
        while (items < most && end - c < capacity) {
            long s = get(denseSequence(lane, end));
            if (s == end + 1) {
                items++;
            } else if (s != ((end + 1) | TOMBSTONE)) {
                break;
            }
            end++;
        }
        return end;
    }

    // ---- zero-copy reads (ShmReader)

    /**
     * The thread running a {@link #soloReadRun}'s handler, or null. Its own take from inside the
     * handler would read the run again (confined rings take no turn) or wait forever for its own
     * turn (shared rings): {@link #checkNotInHandler} refuses it. A plain field: only the thread that
     * set it compares it with itself.
     */
    private Thread inHandler;

    private void checkNotInHandler() {
        if (inHandler == Thread.currentThread()) {
            throw new QueueException("shared-memory queue " + name + ": a take (get, poll, getBatch, clear,"
                    + " ShmReader.read) was called from inside a ShmReader handler on the same thread; nothing was"
                    + " changed. Return from the handler first (it may copy what it needs)");
        }
    }

    /**
     * Hands the run of published items at the head of a single-consumer lane to {@code handler} in
     * place, at most {@code max}, in chunks of at most {@link #RUN_CHUNK} as {@link #soloPollRun}
     * does: each chunk's claim recorded, its records given to the handler as offsets into
     * {@code view}, its slots freed with one ordered store of the consumer index. Tombstones are
     * stepped over and counted. When the handler throws on an item, that item and those before it
     * count as taken, the rest of the chunk is given back unread, and the exception propagates.
     *
     * @param view the reader's read-only view of {@link #buf}
     * @return how many items the handler was given
     * @throws QueueException when a slot's length word is damaged: that item is taken (as a get would
     *     take it), those before it were delivered
     */
    int soloReadRun(int lane, int max, ShmRecordHandler handler, ByteBuffer view) {
        checkNotInHandler();
        lockConsuming();
        final int laneBase = layout.laneOffset(lane);
        final long most = Math.min(max, capacity);
        inHandler = Thread.currentThread();
        try {
            long items = 0;
            while (items < most) {
                long wanted = Math.min(most - items, RUN_CHUNK);
                long got = soloReadChunk(lane, laneBase, wanted, handler, view);
                items += got;
                if (got < wanted) {
                    break; // the chunk ended at a slot not published: so does the run
                }
            }
            return (int) items;
        } finally {
            inHandler = null;
            if (!confined) {
                consumerLock.unlock();
            }
        }
    }

    /**
     * One chunk of {@link #soloReadRun}, under its turn: at most {@code most} items.
     *
     * @return the items given to the handler
     */
    private long soloReadChunk(int lane, int laneBase, long most, ShmRecordHandler handler, ByteBuffer view) {
        final long c = get(laneBase + CONSUMER_INDEX);
        final long end = soloRunEnd(lane, c, most);
        if (end == c) {
            return 0;
        }
        LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, end);
        long bytes = 0;
        long tombstones = 0;
        long i = c;
        try {
            for (; i < end; i++) {
                int slot = layout.slotOffset(lane, i);
                if (get(slot + DENSE_SLOT_SEQUENCE) != i + 1) {
                    tombstones++;
                    continue;
                }
                int length = (int) INT.get(buf, slot + DENSE_SLOT_ITEM_LENGTH);
                if (length < 0 || length > itemSize) {
                    throw corrupt("the item of index " + i + " in lane " + lane + " claims " + length
                            + " bytes, outside 0.." + itemSize + "; it was skipped");
                }
                bytes += length; // counted before the call: an item whose handler throws is taken
                handler.onRecord(view, slot + DENSE_SLOT_HEADER_LENGTH, length);
            }
        } finally {
            // Normally the whole chunk; when the handler (or a damaged slot) stopped it at i, up to
            // and including i, and the rest stays in the queue. The claim moves back first: a
            // consumer killed between the two stores has items it delivered counted as lost, rather
            // than items it never delivered lost.
            long to = i < end ? i + 1 : end;
            if (tombstones != 0) {
                add(SKIPPED_OFFSET, tombstones);
            }
            if (bytes != 0) {
                LONG.setRelease(buf, laneBase + BYTES_OUT, get(laneBase + BYTES_OUT) + bytes);
            }
            if (to < end) {
                LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, to);
            }
            LONG.setRelease(buf, laneBase + CONSUMER_INDEX, to);
        }
        return end - c - tombstones; // the whole chunk: a stop at i threw
    }

    /**
     * The head of a single-consumer lane without removing it, from any process: a copy validated by
     * the consumer index not having moved (the producer rewrites a slot only after it has).
     */
    private Object soloPeek(int lane, Codec<?> codec) {
        final int laneBase = layout.laneOffset(lane);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            long i = c;
            while (i - c < capacity && get(denseSequence(lane, i)) == ((i + 1) | TOMBSTONE)) {
                i++;
            }
            int slot = layout.slotOffset(lane, i);
            long s = get(slot + DENSE_SLOT_SEQUENCE);
            if (s == i + 1) {
                int length = (int) INT.get(buf, slot + DENSE_SLOT_ITEM_LENGTH);
                byte[] copy = new byte[Math.max(0, (int) Math.min(length, itemSize))];
                buf.get(slot + DENSE_SLOT_HEADER_LENGTH, copy, 0, copy.length);
                VarHandle.acquireFence();
                if (!soloClearing() && get(laneBase + CONSUMER_INDEX) == c && get(slot + DENSE_SLOT_SEQUENCE) == s) {
                    if (length < 0 || length > itemSize) {
                        throw corrupt("the item of index " + i + " in lane " + lane + " claims " + length + " bytes");
                    }
                    return codec.decode(ByteBuffer.wrap(copy));
                }
            } else if (!soloClearing() && get(laneBase + CONSUMER_INDEX) == c) {
                return i >= producerIndexOf(laneBase) ? EMPTY : IN_FLIGHT;
            }
        }
    }

    /** {@link #hasPublishedHead} of a single-consumer lane: reads only. */
    private boolean soloHasPublishedHead(int lane, Stall stall) {
        final int laneBase = layout.laneOffset(lane);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            long i = c;
            while (i - c < capacity && get(denseSequence(lane, i)) == ((i + 1) | TOMBSTONE)) {
                i++;
            }
            long s = get(denseSequence(lane, i));
            if (soloClearing() || get(laneBase + CONSUMER_INDEX) != c) {
                Thread.onSpinWait();
                continue; // a clear in its window, or the head moved: look again
            }
            if (s == i + 1) {
                return true;
            }
            if (i < producerIndexOf(laneBase)) {
                stall.at(lane, i, s);
            }
            return false;
        }
    }

    /**
     * {@link #clear()} of a single-consumer file, which takes the consumer role: under
     * {@link #consumerLock}, it takes a snapshot of every lane's producer index (read again until two
     * passes agree: the indices only grow, so equal passes held all at once), waits for the claims
     * below it to be published (or recovers them from a dead producer), and moves each consumer index
     * up to it. Linearizable at the snapshot.
     */
    private long soloClear() {
        checkNotInHandler();
        lockConsuming();
        long me = tag(0);
        // The clear turn marks the window from the snapshot to the stores of the consumer indices,
        // which readers of both indices wait out (soloClearing); its CAS also orders the snapshot after it.
        acquireClearTurn(me);
        try {
            long[] to = new long[lanes];
            for (int lane = 0; lane < lanes; lane++) {
                to[lane] = producerIndexOf(layout.laneOffset(lane));
            }
            for (boolean same = lanes == 1; !same;) {
                same = true;
                for (int lane = 0; lane < lanes; lane++) {
                    long p = producerIndexOf(layout.laneOffset(lane));
                    same &= p == to[lane];
                    to[lane] = p;
                }
            }
            long removed = 0;
            long skipped = 0;
            Stall stall = new Stall();
            for (int lane = 0; lane < lanes; lane++) {
                int laneBase = layout.laneOffset(lane);
                long c = get(laneBase + CONSUMER_INDEX);
                for (long i = c; i < to[lane]; i++) {
                    int seq = denseSequence(lane, i);
                    for (int attempt = 0;; attempt++) {
                        long s = get(seq);
                        if (s == i + 1) {
                            removed++;
                            break;
                        }
                        if (s == ((i + 1) | TOMBSTONE) || (s & INDEX_MASK) > i + 1 || (s & WRITING) != 0) {
                            skipped++; // a tombstone, or a damaged slot, which is dropped with it
                            break;
                        }
                        stall.at(lane, i, s);
                        checkStall(stall);
                        pause(attempt);
                    }
                }
                if (to[lane] > c) {
                    LONG.setRelease(buf, laneBase + CONSUMER_CLAIMED, to[lane]);
                    LONG.setRelease(buf, laneBase + CONSUMER_INDEX, to[lane]);
                }
            }
            add(CLEARED_OFFSET, removed);
            if (skipped != 0) {
                add(SKIPPED_OFFSET, skipped);
            }
            return removed;
        } finally {
            cas(CLEAR_OWNER_OFFSET, me, 0);
            if (!confined) {
                consumerLock.unlock();
            }
        }
    }

    // ---- state

    /** @return items in a lane: claimed by producers and not yet taken, 0 to capacity */
    long size(int lane) {
        int laneBase = layout.laneOffset(lane);
        for (;;) {
            long c = get(laneBase + CONSUMER_INDEX);
            long p = producerIndexOf(laneBase);
            if (singleConsumer && soloClearing()) {
                Thread.onSpinWait();
                continue;
            }
            if (get(laneBase + CONSUMER_INDEX) == c) {
                return Math.max(0, Math.min(capacity, p - c));
            }
        }
    }

    long producerIndex(int lane) {
        return producerIndexOf(layout.laneOffset(lane));
    }

    long consumerIndex(int lane) {
        return get(layout.laneOffset(lane) + CONSUMER_INDEX);
    }

    long bytesIn(int lane) {
        return get(layout.laneOffset(lane) + BYTES_IN);
    }

    long bytesOut(int lane) {
        return get(layout.laneOffset(lane) + BYTES_OUT);
    }

    ShmUsers users() {
        return users;
    }

    QueueException corrupt(String what) {
        return new QueueException("shared-memory queue " + name + " is damaged: " + what);
    }

    /** @param lane a lane @return whether its indices are consistent (checked on attach) */
    boolean laneIsConsistent(int lane) {
        long c = consumerIndex(lane);
        long p = producerIndex(lane);
        long limit = get(layout.laneOffset(lane) + PRODUCER_LIMIT);
        if (singleConsumer) {
            long claimed = get(layout.laneOffset(lane) + CONSUMER_CLAIMED);
            if (claimed < c || claimed > p) {
                return false;
            }
        }
        return c >= 0 && p >= c && p - c <= capacity && limit <= c + capacity && p <= INDEX_MASK / 2;
    }
}
