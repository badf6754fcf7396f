package dev.conduit.queue.priority;

import dev.conduit.queue.spi.BackoffIdleStrategy;
import dev.conduit.queue.spi.IdleStrategy;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The ring that puts write into without a lock: the item of claim number {@code k} (the k-th item
 * ever admitted, numbered by {@link PriorityQueueState}'s claim counter) goes to slot
 * {@code k mod length}, with its priority beside it. A put owns its slots from the moment its claim
 * succeeds; the owner of the queue's lock moves the slots, in claim order, into the
 * {@link PriorityLanes}. The claim limit guarantees that a slot is free (moved and cleared) before
 * it is claimed again, so a put never waits for a slot.
 *
 * <p>Thread-safety: {@link #publish} by the put that claimed the slot, from any thread;
 * {@link #moveTo} by one thread at a time (the lock holder).
 */
final class Inbox {
    /** The longest sleep between re-checks when the put that claimed a slot has lost its core before writing it. */
    private static final long NAP_NANOS = 10_000;

    private final AtomicReferenceArray<Object> items;
    /** A slot's priority, written before its item is published and read after it is seen. */
    private final byte[] priorities;
    private final int mask;

    /** @param length the number of slots, a power of two */
    Inbox(int length) {
        if (Integer.bitCount(length) != 1) {
            throw new IllegalArgumentException("inbox length must be a power of two, not " + length);
        }
        this.items = new AtomicReferenceArray<>(length);
        this.priorities = new byte[length];
        this.mask = length - 1;
    }

    /** @return the number of slots */
    int length() {
        return mask + 1;
    }

    /** Writes the item of claim number {@code claim}, whose slot the claim has made this put's. */
    void publish(long claim, Object item, int priority) {
        int i = (int) claim & mask;
        byte p = (byte) priority;
        // Most puts repeat the priority the slot already holds: reading it leaves the line shared
        // with the consumer instead of pulling it over for a write.
        if (priorities[i] != p) {
            priorities[i] = p;
        }
        items.setRelease(i, item);
    }

    /**
     * Moves the items of claims {@code from} (inclusive) to {@code to} (exclusive) into the lanes in
     * claim order, waiting for any that its put has claimed but not yet written, and frees their
     * slots. The caller publishes the new move count with a release store afterwards: a put learns
     * that a slot is free through it.
     */
    void moveTo(PriorityLanes lanes, long from, long to) {
        for (long k = from; k < to; k++) {
            int i = (int) k & mask;
            Object item = items.getAcquire(i);
            if (item == null) {
                item = awaitPublished(i);
            }
            lanes.add(item, priorities[i] & 0xFF);
            items.setPlain(i, null);
        }
    }

    /**
     * The claim is made and the write is a few instructions behind it, unless that thread lost its
     * core: spin, yield, then nap (at most {@value #NAP_NANOS} ns at a time) until it is written.
     */
    private Object awaitPublished(int i) {
        IdleStrategy idle = new BackoffIdleStrategy(NAP_NANOS);
        for (int attempt = 0;; attempt++) {
            Object item = items.getAcquire(i);
            if (item != null) {
                return item;
            }
            idle.idle(attempt);
        }
    }
}
