package dev.conduit.queue.local;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/** Padding before the producer index, so that it owns its cache line. */
abstract class MpmcRingPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07;
    long p10, p11, p12, p13, p14, p15, p16;
}

/** The producer index and the producer's cached limit. */
abstract class MpmcRingProducer extends MpmcRingPad0 {
    volatile long producerIndex;
    /** A producer may claim indices below this without reading the consumer index. */
    volatile long producerLimit;
}

/** Padding between the producer's and the consumer's fields. */
abstract class MpmcRingPad1 extends MpmcRingProducer {
    long p20, p21, p22, p23, p24, p25, p26, p27;
    long p30, p31, p32, p33, p34, p35, p36;
}

/** The consumer index. */
abstract class MpmcRingConsumer extends MpmcRingPad1 {
    volatile long consumerIndex;
}

/** Padding after the consumer index. */
abstract class MpmcRingPad2 extends MpmcRingConsumer {
    long p40, p41, p42, p43, p44, p45, p46, p47;
    long p50, p51, p52, p53, p54, p55, p56;
}

/**
 * A bounded multi-producer multi-consumer ring with an exact capacity: Vyukov's algorithm (a
 * sequence number per slot says whose turn it is) over a power-of-two number of slots, plus a producer limit
 * so that the capacity need not be a power of two.
 *
 * <p>Slot {@code i} of lap {@code L} is free for the producer of index {@code p} when its sequence
 * equals {@code p}; published when it equals {@code p + 1}; freed by the consumer of index
 * {@code c} by setting it to {@code c + length}. A producer that has claimed an index (CAS on the
 * producer index) but not yet published makes consumers of that index wait, which is why batches
 * publish their first slot last: no consumer can start a batch before all of it is written.
 *
 * <p>The producer and consumer index CASes are the linearization points; both are full fences,
 * which {@link dev.conduit.queue.spi.Signal} relies on. Thread-safe; null elements are not allowed.
 */
final class MpmcRing extends MpmcRingPad2 {
    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle CONSUMER_INDEX;
    private static final VarHandle PRODUCER_LIMIT;
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PRODUCER_INDEX = l.findVarHandle(MpmcRingProducer.class, "producerIndex", long.class);
            CONSUMER_INDEX = l.findVarHandle(MpmcRingConsumer.class, "consumerIndex", long.class);
            PRODUCER_LIMIT = l.findVarHandle(MpmcRingProducer.class, "producerLimit", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The sign bit of the producer index: set while {@link #clear()} holds the index still. */
    private static final long LOCKED = Long.MIN_VALUE;
    private static final long INDEX_MASK = Long.MAX_VALUE;
    /**
     * Unused slots before and after the used ones in {@link #sequences} (longs) and
     * {@link #elements} (references), 128 bytes or more each way. An array's header (its length,
     * read on every access for the range check) and its first slots otherwise share a cache line,
     * and so may its last slots and whatever the heap puts after it: every lap the other side's
     * writes to those slots took that line away from the thread about to read the length. Padded,
     * a copy of the bare ring made 1.15x and 1.21x the unpadded ring's rate in two paired runs
     * (1 producer/1 consumer with yield, 2026-11-28; docs/local.md).
     */
    private static final int SEQ_PAD = 16;
    private static final int ELEMENT_PAD = 32;

    private final int capacity;
    private final int mask;
    private final long length;
    private final long[] sequences;
    private final Object[] elements;
    /**
     * Whether a slot's sequence alone tells a producer that the ring is full: when the capacity is
     * the number of slots, {@link #length} (at least 2, see the constructor; the arrays are longer by
     * their padding).
     */
    private final boolean sequenceSaysFull;

    MpmcRing(int capacity) {
        if (capacity < 1 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("capacity must be 1 to 2^30, not " + capacity);
        }
        // At least two slots: with one, "published for index p" (p + 1) and "freed for index p + 1"
        // (p + length) are the same sequence number, so a producer that passes the capacity check
        // between a consumer's claim and its free takes the slot being read, and the free then
        // overwrites its publish (the item is lost and consumers wait for it for ever).
        int len = 2;
        while (len < capacity) {
            len <<= 1;
        }
        this.capacity = capacity;
        this.mask = len - 1;
        this.length = len;
        this.sequences = new long[SEQ_PAD + len + SEQ_PAD];
        this.elements = new Object[ELEMENT_PAD + len + ELEMENT_PAD];
        for (int i = 0; i < len; i++) {
            sequences[SEQ_PAD + i] = i;
        }
        this.sequenceSaysFull = capacity == len;
        producerLimit = capacity;
        VarHandle.releaseFence();
    }

    /**
     * Backs off after a lost index CAS: another thread on another core moved the index, and
     * retrying at once pulls its cache line back mid-stream. Spins 2, 4, ... up to 64 pauses.
     *
     * @param lost CASes this call has lost so far
     * @return the new count
     */
    private static int contended(int lost) {
        int n = 2 << Math.min(lost, 5);
        for (int k = 0; k < n; k++) {
            Thread.onSpinWait();
        }
        return lost + 1;
    }

    /**
     * One wait for another thread to finish a step it has begun (a consumer freeing a slot, a
     * producer publishing a claim): retries at once 16 times (the other step is a few
     * instructions away), pauses for the next 112, then yields the core to it.
     *
     * @param spins waits so far
     * @return the new count
     */
    private static int awaitAnotherThread(int spins) {
        if (++spins > 128) {
            Thread.yield();
        } else if (spins > 16) {
            Thread.onSpinWait();
        }
        return spins;
    }

    int capacity() {
        return capacity;
    }

    /** Adds one element if there is room. */
    boolean offer(Object e) {
        if (sequenceSaysFull) {
            return offerToFullLength(e);
        }
        final long[] seq = sequences;
        final Object[] els = elements;
        final int m = mask;
        long limit = producerLimit;
        int spins = 0;
        int lost = 0;
        for (;;) {
            long p = producerIndex;
            if (p < 0) {
                // clear() holds the producer index for a moment.
                Thread.onSpinWait();
                continue;
            }
            if (p >= limit) {
                limit = consumerIndex + capacity;
                if (p >= limit) {
                    return false;
                }
                // Only a hint for producers: a release store is enough (a volatile store would be a full fence).
                PRODUCER_LIMIT.setRelease(this, limit);
            }
            int i = SEQ_PAD + ((int) p & m);
            long s = (long) SEQ.getAcquire(seq, i);
            if (s == p) {
                if (PRODUCER_INDEX.compareAndSet(this, p, p + 1)) {
                    ELEMENT.setRelease(els, ELEMENT_PAD + ((int) p & m), e);
                    SEQ.setRelease(seq, i, p + 1);
                    return true;
                }
                lost = contended(lost);
            } else if (s < p) {
                // The consumer of the previous lap has claimed this slot but not yet freed it.
                spins = awaitAnotherThread(spins);
            }
        }
    }

    /**
     * {@link #offer} when the capacity is the number of slots (a power of two), as JCTools'
     * {@code MpmcArrayQueue} does it: a slot's sequence alone says whether it is free, so the
     * consumer index (the consumers' cache line) is read only when the slot is not, to tell a full
     * ring from a consumer that has claimed the slot but not yet freed it. No producer limit.
     */
    private boolean offerToFullLength(Object e) {
        final long[] seq = sequences;
        final Object[] els = elements;
        final int m = mask;
        int spins = 0;
        int lost = 0;
        for (;;) {
            long p = producerIndex;
            if (p < 0) {
                // clear() holds the producer index for a moment.
                Thread.onSpinWait();
                continue;
            }
            int i = SEQ_PAD + ((int) p & m);
            long s = (long) SEQ.getAcquire(seq, i);
            if (s == p) {
                if (PRODUCER_INDEX.compareAndSet(this, p, p + 1)) {
                    ELEMENT.setRelease(els, ELEMENT_PAD + ((int) p & m), e);
                    SEQ.setRelease(seq, i, p + 1);
                    return true;
                }
                lost = contended(lost);
            } else if (s < p) {
                if (p - length >= consumerIndex) {
                    return false;
                }
                // The consumer of the previous lap has claimed this slot but not yet freed it.
                spins = awaitAnotherThread(spins);
            }
        }
    }

    /**
     * A batch for {@link #offerAll(Object[])}: the list's elements in an array of this ring's own.
     * This is where a caller's list runs its code ({@code toArray}, which may throw), before any
     * index is claimed.
     *
     * @param items the elements, none null
     * @return a new array of them
     * @throws NullPointerException if an element is null
     */
    static Object[] batchOf(java.util.List<?> items) {
        Object[] batch = items.toArray();
        for (Object e : batch) {
            java.util.Objects.requireNonNull(e, "item must not be null");
        }
        return batch;
    }

    /** {@link #offerAll(Object[])} of {@link #batchOf}{@code (items)}. */
    boolean offerAll(java.util.List<?> items) {
        return offerAll(batchOf(items));
    }

    /**
     * Adds all elements as one batch, or none if there is not room for all of them now.
     *
     * <p>Between the claim (the producer index CAS) and the publish of the last slot nothing may
     * throw: consumers (poll, peek, clear) wait for a claimed slot until it is published, so an
     * exception there would make them wait for ever. So the batch is an array this ring owns
     * ({@link #batchOf}), checked for nulls before the claim, and the steps in between are array
     * reads and VarHandle accesses; only a VM error (a {@code StackOverflowError} or an
     * {@code OutOfMemoryError} thrown inside them) could still leave a claim unpublished.
     *
     * @param batch the elements, none null (their count at most the capacity); not changed while
     *     this runs (from {@link #batchOf})
     */
    boolean offerAll(Object[] batch) {
        final int n = batch.length;
        long p;
        for (;;) {
            p = producerIndex;
            if (p < 0) {
                Thread.onSpinWait();
                continue;
            }
            if (p + n > consumerIndex + capacity) {
                return false;
            }
            if (PRODUCER_INDEX.compareAndSet(this, p, p + n)) {
                break;
            }
        }
        final long[] seq = sequences;
        for (int k = 0; k < n; k++) {
            int i = (int) (p + k) & mask;
            while ((long) SEQ.getAcquire(seq, SEQ_PAD + i) != p + k) {
                Thread.onSpinWait();
            }
            ELEMENT.setRelease(elements, ELEMENT_PAD + i, batch[k]);
        }
        // Publish back to front: consumers reach the batch through its first slot only.
        for (int k = n - 1; k >= 0; k--) {
            SEQ.setRelease(seq, SEQ_PAD + ((int) (p + k) & mask), p + k + 1);
        }
        return true;
    }

    /** Removes the head, or returns null when empty. */
    Object poll() {
        final long[] seq = sequences;
        final int m = mask;
        int spins = 0;
        int lost = 0;
        // The producer index as last read. It only grows, so while the consumer index is below it
        // the slot is claimed and this call waits on the slot's sequence alone, as JCTools'
        // MpmcArrayQueue does: reading the producers' line on every turn of that wait pulled it
        // away from the producer about to publish (14 rounds of 20 faster without it, most in the
        // host's far state; docs/benchmarks.md).
        long p = -1;
        for (;;) {
            long c = consumerIndex;
            int i = SEQ_PAD + ((int) c & m);
            long s = (long) SEQ.getAcquire(seq, i);
            long expected = c + 1;
            if (s == expected) {
                if (CONSUMER_INDEX.compareAndSet(this, c, expected)) {
                    return takeClaimed(seq, c, i);
                }
                lost = contended(lost);
            } else if (s < expected) {
                if (c >= p && c >= (p = producerIndex & INDEX_MASK)) {
                    return null;
                }
                // Claimed by a producer that has not yet published: wait for it.
                spins = awaitAnotherThread(spins);
            }
        }
    }

    /**
     * Takes the element of index {@code c} (slot {@code i} of {@code seq}, the sequences array),
     * which this thread's consumer index CAS has claimed, and frees its slot.
     */
    private Object takeClaimed(long[] seq, long c, int i) {
        final Object[] els = elements;
        final int j = ELEMENT_PAD + ((int) c & mask);
        Object e = ELEMENT.getAcquire(els, j);
        ELEMENT.setOpaque(els, j, null);
        SEQ.setRelease(seq, i, c + length);
        return e;
    }

    /**
     * Removes the head only while there is no room for {@code n} more elements: what DROP_OLDEST
     * drops. Checking the room and then calling {@link #poll} would drop an item after a consumer
     * had already made room. Linearizable at the consumer index CAS, which succeeds only if no
     * consumer (or clear) moved the index since the room was found lacking, and producers only add.
     *
     * @param n the room a put needs, 1 to the capacity (more never finds room)
     * @return the removed head, or null when there is room now (or the ring is empty)
     */
    Object pollWhenNoRoomFor(int n) {
        // poll()'s loop plus a room check on each pass. Kept apart from poll() on purpose: folding
        // the check into poll() (with n that never finds room) would read the producer index, the
        // producers' cache line, on every take of the hot path, where poll() reads it only when
        // the head slot is not yet published.
        final long[] seq = sequences;
        final int m = mask;
        int spins = 0;
        for (;;) {
            long c = consumerIndex;
            if ((producerIndex & INDEX_MASK) + n <= c + capacity) {
                return null;
            }
            int i = SEQ_PAD + ((int) c & m);
            long s = (long) SEQ.getAcquire(seq, i);
            long expected = c + 1;
            if (s == expected) {
                if (CONSUMER_INDEX.compareAndSet(this, c, expected)) {
                    return takeClaimed(seq, c, i);
                }
                Thread.onSpinWait();
            } else if (s < expected) {
                if (c >= (producerIndex & INDEX_MASK)) {
                    return null;
                }
                // Claimed by a producer that has not yet published: wait for it.
                spins = awaitAnotherThread(spins);
            }
        }
    }

    /**
     * Removes every element present at one instant. The producer index is held still for a moment
     * (its sign bit set, which makes producers wait), one CAS moves the consumer index up to it,
     * claiming every element, and the producer index is released; then each claimed slot is freed
     * (waiting for producers that had claimed but not yet published). Linearizable at that CAS,
     * unlike polling until empty, which also takes items put while it runs.
     *
     * @return how many elements were removed
     */
    int clear() {
        long p;
        for (;;) {
            p = producerIndex;
            if (p >= 0 && PRODUCER_INDEX.compareAndSet(this, p, p | LOCKED)) {
                break;
            }
            Thread.onSpinWait();
        }
        long c;
        try {
            for (;;) {
                c = consumerIndex;
                if (c >= p) {
                    return 0;
                }
                if (CONSUMER_INDEX.compareAndSet(this, c, p)) {
                    break;
                }
            }
        } finally {
            producerIndex = p;
        }
        final long[] seq = sequences;
        for (long k = c; k < p; k++) {
            int i = (int) k & mask;
            int spins = 0;
            while ((long) SEQ.getAcquire(seq, SEQ_PAD + i) != k + 1) {
                spins = awaitAnotherThread(spins);
            }
            ELEMENT.setOpaque(elements, ELEMENT_PAD + i, null);
            SEQ.setRelease(seq, SEQ_PAD + i, k + length);
        }
        return (int) (p - c);
    }

    /**
     * Moves up to {@code max} elements to {@code sink}.
     *
     * @return how many were moved
     */
    int drain(Consumer<Object> sink, int max) {
        int n = 0;
        while (n < max) {
            Object e = poll();
            if (e == null) {
                break;
            }
            sink.accept(e);
            n++;
        }
        return n;
    }

    /** The head without removing it, or null. */
    Object peek() {
        final long[] seq = sequences;
        for (;;) {
            long c = consumerIndex;
            int i = (int) c & mask;
            long s = (long) SEQ.getAcquire(seq, SEQ_PAD + i);
            if (s == c + 1) {
                Object e = ELEMENT.getAcquire(elements, ELEMENT_PAD + i);
                if (e != null && consumerIndex == c) {
                    return e;
                }
            } else if (s < c + 1) {
                if (c >= (producerIndex & INDEX_MASK)) {
                    return null;
                }
                Thread.onSpinWait();
            }
        }
    }

    /** Items claimed by producers and not yet taken, 0 to capacity. */
    int size() {
        for (;;) {
            long c = consumerIndex;
            long p = producerIndex & INDEX_MASK;
            if (consumerIndex == c) {
                long size = p - c;
                return (int) Math.max(0, Math.min(capacity, size));
            }
        }
    }

    boolean isEmpty() {
        return consumerIndex >= (producerIndex & INDEX_MASK);
    }

    /** Items accepted since creation. */
    long producerCount() {
        return producerIndex & INDEX_MASK;
    }

    /** Items taken since creation. */
    long consumerCount() {
        return consumerIndex;
    }
}
