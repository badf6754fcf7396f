package dev.conduit.queue.priority;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * 256 FIFO lanes, one per priority, a bitmap of the non-empty ones (so taking the highest-priority
 * item and finding the lowest-priority one are a few bit operations), the counts behind the metrics,
 * and the lock that guards them all, in one object.
 *
 * <p>Why one object: a put or a take in another thread's wake moves every cache line it writes
 * from that thread's core to its own, and that, not the instructions, is what an operation costs.
 * Here the lock word, the size, the bitmap and the counters sit in one or two lines, which the lock
 * acquisition fetches anyway; a put or take then writes one lane and one slot of its array. No
 * counter is written by puts: the number of puts is derived ({@link #puts()}).
 *
 * <p>The size is published in the lock word by every release ({@link #unlock()}), so readers
 * outside the lock pay one volatile read and writers nothing beyond the release. Every method
 * except {@link #size()} and {@link #lock()} must be called with the lock held.
 */
final class PriorityLanes extends SpinThenParkLock {
    private static final long serialVersionUID = 1L;
    private static final int LANES = 256;

    /** Items in all lanes, as the holder of the lock sees it; others read {@link #size()}. */
    private int size;
    private long bits0;
    private long bits1;
    private long bits2;
    private long bits3;
    private long gets;
    private long dropped;
    private long cleared;
    private final transient Lane[] lanes = new Lane[LANES];

    /** Items in all lanes as of the last release of the lock; does not take the lock. */
    int size() {
        return (int) publishedCount();
    }

    /** Items in all lanes now; the caller holds the lock. */
    int sizeLocked() {
        return size;
    }

    /** Releases the lock, publishing the size (see {@link SpinThenParkLock}). */
    void unlock() {
        unlock(size);
    }

    /** Items accepted by puts: every one is still here, was taken, dropped or cleared. */
    long puts() {
        return size + gets + dropped + cleared;
    }

    long gets() {
        return gets;
    }

    long dropped() {
        return dropped;
    }

    long cleared() {
        return cleared;
    }

    /** Counts an item dropped by DROP_OLDEST that never entered a lane (it was the new one). */
    void droppedNewItem() {
        dropped++;
    }

    void add(Object item, int priority) {
        Lane lane = lanes[priority];
        if (lane == null) {
            lane = new Lane();
            lanes[priority] = lane;
        }
        if (lane.add(item)) {
            setBit(priority);
        }
        size++;
    }

    private void setBit(int p) {
        long bit = 1L << (p & 63);
        switch (p >>> 6) {
            case 0 -> bits0 |= bit;
            case 1 -> bits1 |= bit;
            case 2 -> bits2 |= bit;
            default -> bits3 |= bit;
        }
    }

    private void clearBit(int p) {
        long bit = ~(1L << (p & 63));
        switch (p >>> 6) {
            case 0 -> bits0 &= bit;
            case 1 -> bits1 &= bit;
            case 2 -> bits2 &= bit;
            default -> bits3 &= bit;
        }
    }

    /** The highest non-empty priority, or -1. */
    int highest() {
        if (bits3 != 0) {
            return 255 - Long.numberOfLeadingZeros(bits3);
        }
        if (bits2 != 0) {
            return 191 - Long.numberOfLeadingZeros(bits2);
        }
        if (bits1 != 0) {
            return 127 - Long.numberOfLeadingZeros(bits1);
        }
        return bits0 != 0 ? 63 - Long.numberOfLeadingZeros(bits0) : -1;
    }

    /** The lowest non-empty priority, or -1. */
    int lowest() {
        if (bits0 != 0) {
            return Long.numberOfTrailingZeros(bits0);
        }
        if (bits1 != 0) {
            return 64 + Long.numberOfTrailingZeros(bits1);
        }
        if (bits2 != 0) {
            return 128 + Long.numberOfTrailingZeros(bits2);
        }
        return bits3 != 0 ? 192 + Long.numberOfTrailingZeros(bits3) : -1;
    }

    /** Removes and counts as taken the head of the highest lane, or returns null. */
    Object takeHighest() {
        int p = highest();
        if (p < 0) {
            return null;
        }
        gets++;
        return removeFrom(p);
    }

    /** Removes and counts as dropped the oldest item of the lowest lane; the queue must not be empty. */
    void dropLowest() {
        dropped++;
        removeFrom(lowest());
    }

    private Object removeFrom(int p) {
        Lane lane = lanes[p];
        Object item = lane.poll();
        if (lane.isEmpty()) {
            clearBit(p);
        }
        size--;
        return item;
    }

    Object peekHighest() {
        int p = highest();
        return p < 0 ? null : lanes[p].peek();
    }

    /** Moves up to max items, highest first, to the sink; returns the count. */
    int drain(Consumer<Object> sink, int max) {
        int n = 0;
        while (n < max) {
            Object item = takeHighest();
            if (item == null) {
                break;
            }
            sink.accept(item);
            n++;
        }
        return n;
    }

    /** Empties every lane; returns how many items were removed. */
    int clear() {
        int n = size;
        long[] words = {bits0, bits1, bits2, bits3};
        for (int w = 0; w < words.length; w++) {
            long bits = words[w];
            while (bits != 0) {
                lanes[(w << 6) + Long.numberOfTrailingZeros(bits)].clear();
                bits &= bits - 1;
            }
        }
        bits0 = 0;
        bits1 = 0;
        bits2 = 0;
        bits3 = 0;
        cleared += n;
        size = 0;
        return n;
    }

    /** A growable circular FIFO of one priority. */
    private static final class Lane {
        private Object[] items = new Object[16];
        private int head;
        private int count;

        /** Appends; returns whether the lane was empty before. */
        boolean add(Object item) {
            Object[] a = items;
            int n = count;
            if (n == a.length) {
                a = grow();
            }
            a[(head + n) & (a.length - 1)] = item;
            count = n + 1;
            return n == 0;
        }

        private Object[] grow() {
            Object[] old = items;
            Object[] bigger = new Object[old.length * 2];
            for (int i = 0; i < count; i++) {
                bigger[i] = old[(head + i) & (old.length - 1)];
            }
            items = bigger;
            head = 0;
            return bigger;
        }

        Object poll() {
            Object[] a = items;
            int h = head;
            Object item = a[h];
            a[h] = null;
            head = (h + 1) & (a.length - 1);
            count--;
            return item;
        }

        Object peek() {
            return items[head];
        }

        boolean isEmpty() {
            return count == 0;
        }

        void clear() {
            Arrays.fill(items, null);
            head = 0;
            count = 0;
            if (items.length > 1024) {
                items = new Object[16];
            }
        }
    }
}
