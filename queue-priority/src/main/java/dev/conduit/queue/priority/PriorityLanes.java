package dev.conduit.queue.priority;

/**
 * 256 FIFO lanes, one per priority, and a bitmap of the non-empty ones, so taking the highest
 * priority item and finding the lowest priority item are both a few bit operations. Not
 * thread-safe: the owner holds a lock.
 *
 * <p>The lock holder writes the bitmap and the lanes on every item, while puts on other cores read
 * objects allocated next to them (the queue's inbox, its lock): the bitmap has 128 bytes of padding
 * on each side, this object itself is never written after construction, and the bitmap is written
 * only when a lane turns empty or non-empty, so that no put's cache line is pulled away by
 * {@code nonEmpty |= bit} on every item (false sharing that made whole JVM runs twice as slow).
 */
final class PriorityLanes {
    private static final int LANES = 256;
    private static final int WORDS = LANES / 64;
    /** Longs of padding on each side of the bitmap: 128 bytes. */
    private static final int PAD = 16;

    private final Lane[] lanes = new Lane[LANES];
    /** Bit p of word {@code PAD + p / 64}: lane p is not empty. */
    private final long[] nonEmpty = new long[PAD + WORDS + PAD];

    void add(Object item, int priority) {
        Lane lane = lanes[priority];
        if (lane == null) {
            lane = new Lane();
            lanes[priority] = lane;
        }
        if (lane.isEmpty()) {
            nonEmpty[PAD + (priority >>> 6)] |= 1L << (priority & 63);
        }
        lane.add(item);
    }

    /** The highest non-empty priority, or -1. */
    int highest() {
        for (int w = WORDS - 1; w >= 0; w--) {
            long bits = nonEmpty[PAD + w];
            if (bits != 0) {
                return (w << 6) + 63 - Long.numberOfLeadingZeros(bits);
            }
        }
        return -1;
    }

    /** The lowest non-empty priority, or -1. */
    int lowest() {
        for (int w = 0; w < WORDS; w++) {
            long bits = nonEmpty[PAD + w];
            if (bits != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
        }
        return -1;
    }

    /** Removes the head of the highest lane, or returns null. */
    Object pollHighest() {
        int p = highest();
        return p < 0 ? null : pollFrom(p);
    }

    /** Removes the oldest item of the lowest lane, or returns null. */
    Object pollLowest() {
        int p = lowest();
        return p < 0 ? null : pollFrom(p);
    }

    private Object pollFrom(int p) {
        Lane lane = lanes[p];
        Object item = lane.poll();
        if (lane.isEmpty()) {
            nonEmpty[PAD + (p >>> 6)] &= ~(1L << (p & 63));
        }
        return item;
    }

    Object peekHighest() {
        int p = highest();
        return p < 0 ? null : lanes[p].peek();
    }

    /** Empties every lane; returns how many items they held. */
    int clear() {
        int n = 0;
        // Visit only the non-empty lanes, through the bitmap.
        for (int w = 0; w < WORDS; w++) {
            long bits = nonEmpty[PAD + w];
            while (bits != 0) {
                int p = (w << 6) + Long.numberOfTrailingZeros(bits);
                n += lanes[p].clear();
                bits &= bits - 1;
            }
            nonEmpty[PAD + w] = 0;
        }
        return n;
    }

    /** A growable circular FIFO of one priority. */
    private static final class Lane {
        private Object[] items = new Object[16];
        private int head;
        private int count;

        void add(Object item) {
            if (count == items.length) {
                Object[] bigger = new Object[items.length * 2];
                for (int i = 0; i < count; i++) {
                    bigger[i] = items[(head + i) & (items.length - 1)];
                }
                items = bigger;
                head = 0;
            }
            items[(head + count) & (items.length - 1)] = item;
            count++;
        }

        Object poll() {
            Object item = items[head];
            items[head] = null;
            head = (head + 1) & (items.length - 1);
            count--;
            return item;
        }

        Object peek() {
            return items[head];
        }

        boolean isEmpty() {
            return count == 0;
        }

        /** Empties the lane; returns how many items it held. */
        int clear() {
            int n = count;
            java.util.Arrays.fill(items, null);
            head = 0;
            count = 0;
            if (items.length > 1024) {
                items = new Object[16];
            }
            return n;
        }
    }
}
