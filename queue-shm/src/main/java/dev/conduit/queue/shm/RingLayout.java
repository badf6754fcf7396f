package dev.conduit.queue.shm;

import dev.conduit.queue.QueueException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The byte layout of a shared-memory queue file: every offset is named here once, and nowhere
 * else in the code is a bare number used to reach into the file. All words are 8-byte aligned and
 * in the machine's native byte order (the file is shared by processes on one host only).
 *
 * <pre>
 * 0       header (read-only after creation; the creator writes {@link #MAGIC_OFFSET} last)
 *           magic, layout version, capacity per lane, ring length, item size, slot length,
 *           lanes, file length, creator pid, creator start time, creation time,
 *           {@link #STATE_OFFSET}: 0 while the queue lives, 1 once destroyed,
 *           {@link #PRODUCERS_OFFSET}: the producer mode, and {@link #PRODUCER_OWNER_OFFSET}: the
 *           tag of the process that is the producer of a single-producer queue;
 *           {@link #CONSUMERS_OFFSET} and {@link #CONSUMER_OWNER_OFFSET}: the same for consumers
 * 128     counters line (slow paths only): waits, rejected, abandoned claims, skipped
 *           tombstones, cleared, lost reads, dropped
 * 192     clear line: the tag of the process clearing the queue now
 * 256     users table: {@link #MAX_USERS} entries of {@link #USER_LENGTH} bytes, one per process
 *           attached now or before (pid, start time, attach time, generation, attached flag,
 *           start ticks since boot and the generation they belong to)
 * 12288   lane table: one {@link #LANE_LENGTH}-byte entry per lane; the producer line
 *           (producer index, producer limit, bytes in) and the consumer line (consumer index,
 *           bytes out, and in a single-consumer file the index claimed up to) are 128 bytes apart
 *           so neither shares a prefetch pair with the other
 * slots   from {@link #slotsOffset()} (page aligned): for each lane, {@link #ringLength()} slots
 *           of {@link #slotLength()} bytes: sequence, writer tag, reader tag, length, batch,
 *           then the payload; in a single-consumer file the dense slot: sequence, length, then
 *           the payload ({@link #DENSE_SLOT_HEADER_LENGTH})
 * </pre>
 *
 * <p>Slot protocol (Vyukov's bounded MPMC with crash recovery). For the item of index {@code i}
 * in a lane, its slot's sequence word moves through: {@code i} (free for the producer of
 * {@code i}) &rarr; {@code i | WRITING} (that producer is writing; its writer tag names it)
 * &rarr; {@code i + 1} (published) &rarr; {@code i + ringLength} (freed by its consumer, whose
 * reader tag names it while it copies). A slot abandoned by a dead producer becomes
 * {@code (i + 1) | TOMBSTONE}, which consumers skip.
 *
 * <p>In a single-producer queue ({@link #singleProducer()}, option {@code producers=single}) one
 * process at a time produces, named by {@link #PRODUCER_OWNER_OFFSET}; its threads still claim
 * indices with the CAS (which keeps {@code clear()} linearizable), but a slot goes straight from
 * {@code i} to {@code i + 1}: no {@code WRITING} step, since no other process may take over a claim
 * of a live producer. Such files carry {@link #LAYOUT_VERSION_SINGLE_PRODUCER}, so that a Conduit
 * that does not know the mode refuses them.
 *
 * <p>A single-consumer file ({@link #singleConsumer()}, options {@code consumers=single} and
 * {@code producers=single}) is a one-to-one ring: one producing and one consuming process at a
 * time, the threads of each taking turns on a lock in their process. Its slots are dense (a 16-byte
 * header, {@link #DENSE_SLOT_ALIGNMENT}-byte alignment, so a 64-byte item takes 80 bytes, not 128)
 * and are written by the producer only: the sequence goes {@code i} (or the previous lap's
 * {@code i - ringLength + 1}) &rarr; {@code i + 1} (published) or {@code (i + 1) | TOMBSTONE}; the
 * consumer frees slots by moving the lane's consumer index once per batch, after it recorded the
 * index it has claimed up to ({@link #CONSUMER_CLAIMED}), and the producer knows its room from the
 * consumer index. Such files carry {@link #LAYOUT_VERSION_SINGLE_CONSUMER}.
 *
 * <p>Instances are immutable geometry values; thread-safe.
 */
public final class RingLayout {
    /** The magic number at offset 0: "CONDUIT1" read as a little-endian long. */
    public static final long MAGIC = 0x31544955444E4F43L;
    /** The version of this layout; files of another version are refused. */
    public static final long LAYOUT_VERSION = 1;
    /**
     * The version of a single-producer file: the same layout, plus the producer mode and owner
     * words, which a reader of version {@link #LAYOUT_VERSION} alone would ignore.
     */
    public static final long LAYOUT_VERSION_SINGLE_PRODUCER = 2;
    /**
     * The version of a single-consumer (and single-producer) file: dense slots and the consumer mode,
     * owner and claimed words, so that a Conduit that does not know the mode refuses it.
     */
    public static final long LAYOUT_VERSION_SINGLE_CONSUMER = 3;

    /** The cache-line size everything hot is aligned to. */
    public static final int CACHE_LINE = 64;
    /** The page size the slot area is aligned to. */
    public static final int PAGE = 4096;

    // ---- header line, written once by the creator
    /** {@link #MAGIC}; written last, with release semantics, once the rest is in place. */
    public static final int MAGIC_OFFSET = 0;
    /** {@link #LAYOUT_VERSION}. */
    public static final int VERSION_OFFSET = 8;
    /** Items one lane holds. */
    public static final int CAPACITY_OFFSET = 16;
    /** Slots per lane: the power of two at or above the capacity, at least 2. */
    public static final int RING_LENGTH_OFFSET = 24;
    /** The largest encoded item, in bytes. */
    public static final int ITEM_SIZE_OFFSET = 32;
    /** Bytes per slot: slot header plus item size, rounded up to a cache line. */
    public static final int SLOT_LENGTH_OFFSET = 40;
    /** Number of priority lanes. */
    public static final int LANES_OFFSET = 48;
    /** The file's length; a file of another length is refused. */
    public static final int FILE_LENGTH_OFFSET = 56;
    /** The creator's process id. */
    public static final int CREATOR_PID_OFFSET = 64;
    /** The creator's start time, epoch milliseconds (tells a reused pid apart). */
    public static final int CREATOR_START_OFFSET = 72;
    /** When the file was created, epoch milliseconds. */
    public static final int CREATED_AT_OFFSET = 80;
    /** 0 while the queue lives; {@link #STATE_DESTROYED} once {@code destroy()} removed it. */
    public static final int STATE_OFFSET = 88;
    /** {@link #STATE_OFFSET} value of a destroyed queue. */
    public static final long STATE_DESTROYED = 1;
    /** {@link #PRODUCERS_MULTI} or {@link #PRODUCERS_SINGLE}; written once by the creator. */
    public static final int PRODUCERS_OFFSET = 96;
    /** {@link #PRODUCERS_OFFSET}: any number of processes may produce (CAS claims, the default). */
    public static final long PRODUCERS_MULTI = 0;
    /** {@link #PRODUCERS_OFFSET}: one producing process at a time (option {@code producers=single}). */
    public static final long PRODUCERS_SINGLE = 1;
    /**
     * In a single-producer file: the tag ({@link #tag}, index 0) of the process that produces now,
     * 0 when none. A process takes it on its first put, by CAS from 0 or from a dead process, and
     * gives it back when it closes its last handle; any other process's put is refused meanwhile.
     */
    public static final int PRODUCER_OWNER_OFFSET = 104;
    /** {@link #CONSUMERS_MULTI} or {@link #CONSUMERS_SINGLE}; written once by the creator. */
    public static final int CONSUMERS_OFFSET = 112;
    /** {@link #CONSUMERS_OFFSET}: any number of processes may consume (the default). */
    public static final long CONSUMERS_MULTI = 0;
    /** {@link #CONSUMERS_OFFSET}: one consuming process at a time (option {@code consumers=single}). */
    public static final long CONSUMERS_SINGLE = 1;
    /**
     * In a single-consumer file: the tag ({@link #tag}, index 0) of the process that consumes now, 0
     * when none; taken and given back as {@link #PRODUCER_OWNER_OFFSET} is.
     */
    public static final int CONSUMER_OWNER_OFFSET = 120;

    // ---- counters line: updated on slow paths only, by any process
    /** Times a put or get had to wait. */
    public static final int WAITS_OFFSET = 128;
    /** Puts refused because the queue was full. */
    public static final int REJECTED_OFFSET = 136;
    /** Claimed indices that never carried an item (turned into tombstones). */
    public static final int ABANDONED_OFFSET = 144;
    /** Tombstones consumers stepped over. */
    public static final int SKIPPED_OFFSET = 152;
    /** Items removed by {@code clear()}. */
    public static final int CLEARED_OFFSET = 160;
    /** Items whose consumer died while reading them (recovered slots). */
    public static final int LOST_READS_OFFSET = 168;
    /** Items dropped by the DROP_OLDEST backpressure policy. */
    public static final int DROPPED_OFFSET = 176;
    /**
     * The tag of the process running {@code clear()} now, 0 when none: clears take turns through
     * it, and a producer held up by a clear whose process died reads it to release the hold.
     */
    public static final int CLEAR_OWNER_OFFSET = 192;

    // ---- users table
    /** Where the users table starts. */
    public static final int USERS_OFFSET = 256;
    /** Most processes that can be attached at once. */
    public static final int MAX_USERS = 128;
    /** Bytes per user entry (one cache line). */
    public static final int USER_LENGTH = 64;
    /** Within a user entry: the process id, 0 when the entry was never used. */
    public static final int USER_PID = 0;
    /** Within a user entry: the process start time, epoch milliseconds, 0 when unknown. */
    public static final int USER_START = 8;
    /** Within a user entry: when the process attached, epoch milliseconds. */
    public static final int USER_ATTACHED_AT = 16;
    /** Within a user entry: incremented each time the entry changes owner. */
    public static final int USER_GENERATION = 24;
    /** Within a user entry: 1 while the process has the queue open, 0 after it closed it. */
    public static final int USER_ATTACHED = 32;
    /**
     * Within a user entry: the process start time in clock ticks since boot ({@code /proc/<pid>/stat}
     * field 22 on Linux), which, unlike {@link #USER_START}, a step of the wall clock does not move;
     * 0 when not recorded (files written before this word existed, or hosts without {@code /proc}).
     * It names the owner only while {@link #USER_TICKS_GENERATION} equals {@link #USER_GENERATION}.
     */
    public static final int USER_START_TICKS = 40;
    /**
     * Within a user entry: the {@link #USER_GENERATION} for which {@link #USER_START_TICKS} was
     * recorded. A process that takes an entry over without writing the ticks (an older Conduit)
     * increments the generation, so the previous owner's ticks are not taken for its own.
     */
    public static final int USER_TICKS_GENERATION = 48;

    // ---- lane table
    /** Where the lane table starts. */
    public static final int LANES_TABLE_OFFSET = 12288;
    /** Bytes per lane entry. */
    public static final int LANE_LENGTH = 256;
    /**
     * Within a lane: the next index a producer claims (CAS); its sign bit ({@link #CLEARING}) is set
     * while {@code clear()} holds it still.
     */
    public static final int PRODUCER_INDEX = 0;
    /** The bit of {@link #PRODUCER_INDEX} that {@code clear()} sets for a moment. */
    public static final long CLEARING = Long.MIN_VALUE;
    /** Within a lane: producers may claim below this without reading the consumer index. */
    public static final int PRODUCER_LIMIT = 8;
    /** Within a lane: encoded bytes accepted. */
    public static final int BYTES_IN = 16;
    /** Within a lane: the next index a consumer claims (CAS). */
    public static final int CONSUMER_INDEX = 128;
    /** Within a lane: encoded bytes delivered. */
    public static final int BYTES_OUT = 136;
    /**
     * Within a lane of a single-consumer file: the index the consumer has claimed up to. It is stored
     * before the consumer reads a run and the consumer index after, so that a consumer that takes the
     * role over from a dead one counts the run as lost instead of delivering it again.
     */
    public static final int CONSUMER_CLAIMED = 144;
    /** Most lanes a file may have. */
    public static final int MAX_LANES = 256;

    // ---- slots
    /** Within a slot: the sequence word (see the class comment). */
    public static final int SLOT_SEQUENCE = 0;
    /** Within a slot: the tag of the producer writing it ({@link #tag}). */
    public static final int SLOT_WRITER = 8;
    /** Within a slot: the tag of the consumer reading it. */
    public static final int SLOT_READER = 16;
    /** Within a slot: the payload length, an int. */
    public static final int SLOT_ITEM_LENGTH = 24;
    /** Within a slot: for the first slot of an atomic batch, the batch's size; an int. */
    public static final int SLOT_BATCH = 28;
    /** Bytes before the payload. */
    public static final int SLOT_HEADER_LENGTH = 32;
    /** Within a dense slot (single-consumer file): the sequence word. */
    public static final int DENSE_SLOT_SEQUENCE = 0;
    /** Within a dense slot: the payload length, an int (the next 4 bytes are unused). */
    public static final int DENSE_SLOT_ITEM_LENGTH = 8;
    /** Bytes before the payload of a dense slot. */
    public static final int DENSE_SLOT_HEADER_LENGTH = 16;
    /** What dense slots are aligned to (their words stay 8-byte aligned; payloads 16-byte aligned). */
    public static final int DENSE_SLOT_ALIGNMENT = 16;

    /** Sequence flag: the producer named by the writer tag is writing the slot. */
    public static final long WRITING = 1L << 62;
    /** Sequence flag: the slot holds no item (its producer died); consumers skip it. */
    public static final long TOMBSTONE = 1L << 61;
    /** The index part of a sequence word. */
    public static final long INDEX_MASK = TOMBSTONE - 1;

    /** The largest mapping this layout makes (one {@link java.nio.MappedByteBuffer}). */
    public static final long MAX_FILE_LENGTH = Integer.MAX_VALUE;

    private final long capacity;
    private final long ringLength;
    private final long itemSize;
    private final long slotLength;
    private final int lanes;
    private final long slotsOffset;
    private final long fileLength;
    private final boolean singleProducer;
    private final boolean singleConsumer;

    private RingLayout(long capacity, long ringLength, long itemSize, long slotLength, int lanes,
            boolean singleProducer, boolean singleConsumer) {
        this.capacity = capacity;
        this.ringLength = ringLength;
        this.itemSize = itemSize;
        this.slotLength = slotLength;
        this.lanes = lanes;
        this.slotsOffset = align(LANES_TABLE_OFFSET + (long) lanes * LANE_LENGTH, PAGE);
        this.fileLength = slotsOffset + lanes * ringLength * slotLength;
        this.singleProducer = singleProducer;
        this.singleConsumer = singleConsumer;
    }

    /**
     * The geometry of a new file.
     *
     * @param capacity items per lane, at least 1
     * @param itemSize the largest encoded item, at least 1
     * @param lanes priority lanes, 1 to {@link #MAX_LANES}
     * @return the layout
     * @throws IllegalArgumentException naming the option when a value is out of range or the file
     *     would exceed {@link #MAX_FILE_LENGTH}
     */
    public static RingLayout of(long capacity, long itemSize, int lanes) {
        return of(capacity, itemSize, lanes, false);
    }

    /**
     * The geometry of a new file, in either producer mode.
     *
     * @param capacity items per lane, at least 1
     * @param itemSize the largest encoded item, at least 1
     * @param lanes priority lanes, 1 to {@link #MAX_LANES}
     * @param singleProducer whether one process at a time produces (option {@code producers=single})
     * @return the layout
     * @throws IllegalArgumentException naming the option when a value is out of range or the file
     *     would exceed {@link #MAX_FILE_LENGTH}
     */
    public static RingLayout of(long capacity, long itemSize, int lanes, boolean singleProducer) {
        return of(capacity, itemSize, lanes, singleProducer, false);
    }

    /**
     * The geometry of a new file, in any producer and consumer mode.
     *
     * @param capacity items per lane, at least 1
     * @param itemSize the largest encoded item, at least 1
     * @param lanes priority lanes, 1 to {@link #MAX_LANES}
     * @param singleProducer whether one process at a time produces (option {@code producers=single})
     * @param singleConsumer whether one process at a time consumes (option {@code consumers=single});
     *     requires {@code singleProducer}
     * @return the layout
     * @throws IllegalArgumentException naming the option when a value is out of range, the file
     *     would exceed {@link #MAX_FILE_LENGTH}, or a single consumer is asked with several producers
     */
    public static RingLayout of(long capacity, long itemSize, int lanes, boolean singleProducer,
            boolean singleConsumer) {
        if (singleConsumer && !singleProducer) {
            throw new IllegalArgumentException("option 'consumers=single' requires 'producers=single': a single"
                    + " consumer with several producing processes is not supported (use consumers=multi)");
        }
        if (capacity < 1 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("capacity must be 1 to 2^30, not " + capacity);
        }
        if (itemSize < 1 || itemSize > MAX_FILE_LENGTH) {
            throw new IllegalArgumentException("option 'itemSize' must be 1 to 2^31-1 bytes, not " + itemSize);
        }
        if (lanes < 1 || lanes > MAX_LANES) {
            throw new IllegalArgumentException("option 'lanes' must be 1 to " + MAX_LANES + ", not " + lanes);
        }
        long slotLength = singleConsumer ? align(DENSE_SLOT_HEADER_LENGTH + itemSize, DENSE_SLOT_ALIGNMENT)
                : align(SLOT_HEADER_LENGTH + itemSize, CACHE_LINE);
        RingLayout l = new RingLayout(capacity, ringLengthFor(capacity), itemSize, slotLength, lanes, singleProducer,
                singleConsumer);
        if (l.fileLength > MAX_FILE_LENGTH) {
            throw new IllegalArgumentException("a shm queue of capacity " + capacity + " x itemSize " + itemSize
                    + " x lanes " + lanes + " needs " + l.fileLength + " bytes, more than the 2 GiB one mapping holds;"
                    + " lower the capacity, option 'itemSize' or option 'lanes'");
        }
        return l;
    }

    /**
     * Reads and checks the layout of an existing file, never reading outside {@code header}.
     *
     * @param header the file's first bytes (at least {@link #LANES_TABLE_OFFSET} of them when
     *     the file is whole); native order
     * @param actualFileLength the file's length on disk
     * @param name the file name, for messages
     * @return the layout
     * @throws QueueException naming the problem when the magic, version, geometry or length is
     *     wrong, or the file is truncated
     */
    public static RingLayout read(ByteBuffer header, long actualFileLength, String name) {
        if (actualFileLength < LANES_TABLE_OFFSET || header.capacity() < LANES_TABLE_OFFSET) {
            throw corrupt(name, "it is truncated: " + actualFileLength + " bytes, less than the "
                    + LANES_TABLE_OFFSET + "-byte header");
        }
        ByteBuffer h = header.duplicate().order(ByteOrder.nativeOrder());
        long magic = h.getLong(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw corrupt(name, "its magic number is 0x" + Long.toHexString(magic) + ", not 0x"
                    + Long.toHexString(MAGIC) + " (not a Conduit shm queue, or never finished initializing)");
        }
        long version = h.getLong(VERSION_OFFSET);
        if (version != LAYOUT_VERSION && version != LAYOUT_VERSION_SINGLE_PRODUCER
                && version != LAYOUT_VERSION_SINGLE_CONSUMER) {
            throw corrupt(name, "its layout version is " + version + "; this Conduit reads versions " + LAYOUT_VERSION
                    + ", " + LAYOUT_VERSION_SINGLE_PRODUCER + " and " + LAYOUT_VERSION_SINGLE_CONSUMER);
        }
        boolean singleConsumer = version == LAYOUT_VERSION_SINGLE_CONSUMER;
        boolean singleProducer = version == LAYOUT_VERSION_SINGLE_PRODUCER || singleConsumer;
        long producers = h.getLong(PRODUCERS_OFFSET);
        if (producers != (singleProducer ? PRODUCERS_SINGLE : PRODUCERS_MULTI)) {
            throw corrupt(name, "its header is damaged: producer mode " + producers + " in a file of layout version "
                    + version);
        }
        long consumers = h.getLong(CONSUMERS_OFFSET);
        if (consumers != (singleConsumer ? CONSUMERS_SINGLE : CONSUMERS_MULTI)) {
            throw corrupt(name, "its header is damaged: consumer mode " + consumers + " in a file of layout version "
                    + version);
        }
        long capacity = h.getLong(CAPACITY_OFFSET);
        long itemSize = h.getLong(ITEM_SIZE_OFFSET);
        long lanes = h.getLong(LANES_OFFSET);
        RingLayout expected;
        try {
            expected = of(capacity, itemSize, (int) Math.max(Math.min(lanes, Integer.MAX_VALUE), Integer.MIN_VALUE),
                    singleProducer, singleConsumer);
        } catch (IllegalArgumentException e) {
            throw corrupt(name, "its header is damaged: " + e.getMessage());
        }
        if (lanes != expected.lanes || h.getLong(RING_LENGTH_OFFSET) != expected.ringLength
                || h.getLong(SLOT_LENGTH_OFFSET) != expected.slotLength) {
            throw corrupt(name, "its header is damaged: ring length " + h.getLong(RING_LENGTH_OFFSET) + " / slot length "
                    + h.getLong(SLOT_LENGTH_OFFSET) + " do not follow from capacity " + capacity + " and item size "
                    + itemSize);
        }
        long recorded = h.getLong(FILE_LENGTH_OFFSET);
        if (recorded != expected.fileLength) {
            throw corrupt(name, "its header records a length of " + recorded + " bytes but its geometry needs "
                    + expected.fileLength);
        }
        if (actualFileLength != expected.fileLength) {
            throw corrupt(name, "it is " + actualFileLength + " bytes long but its header says " + expected.fileLength
                    + (actualFileLength < expected.fileLength ? " (truncated)" : ""));
        }
        return expected;
    }

    private static QueueException corrupt(String name, String why) {
        return new QueueException("shared-memory queue file " + name + " was refused: " + why);
    }

    /**
     * Writes every header field except the magic, which the creator writes last.
     *
     * @param h the mapping, native order
     * @param creatorPid the creating process
     * @param creatorStartMillis its start time
     * @param createdAtMillis now
     */
    void writeHeaderWithoutMagic(ByteBuffer h, long creatorPid, long creatorStartMillis, long createdAtMillis) {
        h.putLong(VERSION_OFFSET, singleConsumer ? LAYOUT_VERSION_SINGLE_CONSUMER
                : singleProducer ? LAYOUT_VERSION_SINGLE_PRODUCER : LAYOUT_VERSION);
        h.putLong(PRODUCERS_OFFSET, singleProducer ? PRODUCERS_SINGLE : PRODUCERS_MULTI);
        h.putLong(CONSUMERS_OFFSET, singleConsumer ? CONSUMERS_SINGLE : CONSUMERS_MULTI);
        h.putLong(CAPACITY_OFFSET, capacity);
        h.putLong(RING_LENGTH_OFFSET, ringLength);
        h.putLong(ITEM_SIZE_OFFSET, itemSize);
        h.putLong(SLOT_LENGTH_OFFSET, slotLength);
        h.putLong(LANES_OFFSET, lanes);
        h.putLong(FILE_LENGTH_OFFSET, fileLength);
        h.putLong(CREATOR_PID_OFFSET, creatorPid);
        h.putLong(CREATOR_START_OFFSET, creatorStartMillis);
        h.putLong(CREATED_AT_OFFSET, createdAtMillis);
        for (int lane = 0; lane < lanes; lane++) {
            h.putLong(laneOffset(lane) + PRODUCER_LIMIT, capacity);
            for (long i = 0; i < ringLength; i++) {
                h.putLong(slotOffset(lane, i) + sequenceOffset(), i);
            }
        }
    }

    static long ringLengthFor(long capacity) {
        // At least 2: with one slot, "published for index i" (i + 1) would read as "free for i + 1".
        long len = 2;
        while (len < capacity) {
            len <<= 1;
        }
        return len;
    }

    static long align(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }

    /**
     * A reader or writer tag: names which index a process holds in a slot.
     *
     * @param index the item index
     * @param user the user-table entry of the process, 0 to {@link #MAX_USERS} - 1
     * @param generation that entry's generation
     * @return the tag; never 0
     */
    public static long tag(long index, int user, long generation) {
        return (index << 16) | ((generation & 0xFF) << 8) | (user + 1);
    }

    /**
     * @param tag a tag
     * @return the index it names
     */
    public static long tagIndex(long tag) {
        return tag >>> 16;
    }

    /**
     * Whether a slot's writer or reader word is a tag for {@code index}. A tag always names a user
     * entry ({@link #tag} is never 0), so a word that names none, such as the 0 of a new file's
     * slots, is a tag for no index: read with {@link #tagIndex} alone it would read as a tag for
     * index 0, and the claim or read of index 0 (or of index ring length, whose previous item is
     * index 0) by a live process, caught before its tag store, would look like one of a dead process.
     * A tag keeps the low 48 bits of its index, so those are what is compared: from index 2^48 on, a
     * tag would otherwise match no index, and no dead process's claim would be recovered as tagged.
     *
     * @param word the word read from the slot
     * @param index the index the waiter is stuck on
     * @return true if {@code word} names a process and {@code index}
     */
    public static boolean isTagFor(long word, long index) {
        return tagUser(word) >= 0 && tagIndex(word) == (index & TAG_INDEX_MASK);
    }

    /** The bits of an index that a {@link #tag} keeps. */
    private static final long TAG_INDEX_MASK = (1L << 48) - 1;

    /**
     * @param tag a tag
     * @return the user entry it names, or -1 for no or a damaged tag
     */
    public static int tagUser(long tag) {
        int u = (int) (tag & 0xFF) - 1;
        return u >= 0 && u < MAX_USERS ? u : -1;
    }

    /**
     * @param tag a tag
     * @return the low 8 bits of the user entry's generation when tagged
     */
    public static long tagGeneration(long tag) {
        return (tag >>> 8) & 0xFF;
    }

    /**
     * @param lane the lane
     * @return the offset of its entry in the lane table
     */
    public int laneOffset(int lane) {
        return LANES_TABLE_OFFSET + lane * LANE_LENGTH;
    }

    /**
     * @param user the entry
     * @return its offset in the users table
     */
    public static int userOffset(int user) {
        return USERS_OFFSET + user * USER_LENGTH;
    }

    /**
     * @param lane the lane
     * @param index an item index
     * @return the offset of the slot that item uses
     */
    public int slotOffset(int lane, long index) {
        return (int) (slotsOffset + (lane * ringLength + (index & (ringLength - 1))) * slotLength);
    }

    /** @return items one lane holds */
    public long capacity() {
        return capacity;
    }

    /** @return slots per lane */
    public long ringLength() {
        return ringLength;
    }

    /** @return the largest encoded item */
    public long itemSize() {
        return itemSize;
    }

    /** @return bytes per slot */
    public long slotLength() {
        return slotLength;
    }

    /** @return the number of lanes */
    public int lanes() {
        return lanes;
    }

    /** @return whether one process at a time produces (option {@code producers=single}) */
    public boolean singleProducer() {
        return singleProducer;
    }

    /** @return whether one process at a time consumes (option {@code consumers=single}; dense slots) */
    public boolean singleConsumer() {
        return singleConsumer;
    }

    /** @return where a slot's sequence word is, within the slot */
    public int sequenceOffset() {
        return singleConsumer ? DENSE_SLOT_SEQUENCE : SLOT_SEQUENCE;
    }

    /** @return where a slot's length word is, within the slot */
    public int itemLengthOffset() {
        return singleConsumer ? DENSE_SLOT_ITEM_LENGTH : SLOT_ITEM_LENGTH;
    }

    /** @return where a slot's payload starts, within the slot */
    public int payloadOffset() {
        return singleConsumer ? DENSE_SLOT_HEADER_LENGTH : SLOT_HEADER_LENGTH;
    }

    /** @return where the first slot starts */
    public long slotsOffset() {
        return slotsOffset;
    }

    /** @return the file's length */
    public long fileLength() {
        return fileLength;
    }

    @Override
    public String toString() {
        return "RingLayout[capacity=" + capacity + ", ringLength=" + ringLength + ", itemSize=" + itemSize
                + ", slotLength=" + slotLength + ", lanes=" + lanes + ", fileLength=" + fileLength
                + (singleProducer ? ", producers=single" : "") + (singleConsumer ? ", consumers=single" : "") + "]";
    }
}
