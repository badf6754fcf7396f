package dev.conduit.queue.priority;

/**
 * 256 FIFO lanes, one per priority, and a bitmap of the non-empty ones, so taking the highest
 * priority item and finding the lowest priority item are both a few bit operations. Not
 * thread-safe: the owner holds a lock.
 */
final class PriorityLanes {
    private static final int LANES = 256;

    private final Lane[] lanes = new Lane[LANES];
    private final long[] nonEmpty = new long[LANES / 64];
    private int size;

    int size() {
        return size;
    }

    void add(Object item, int priority) {
        Lane lane = lanes[priority];
        if (lane == null) {
            lane = new Lane();
            lanes[priority] = lane;
        }
        lane.add(item);
        nonEmpty[priority >>> 6] |= 1L << (priority & 63);
        size++;
    }

    /** The highest non-empty priority, or -1. */
    int highest() {
        for (int w = nonEmpty.length - 1; w >= 0; w--) {
            long bits = nonEmpty[w];
            if (bits != 0) {
                return (w << 6) + 63 - Long.numberOfLeadingZeros(bits);
            }
        }
        return -1;
    }

    /** The lowest non-empty priority, or -1. */
    int lowest() {
        for (int w = 0; w < nonEmpty.length; w++) {
            long bits = nonEmpty[w];
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
            nonEmpty[p >>> 6] &= ~(1L << (p & 63));
        }
        size--;
        return item;
    }

    Object peekHighest() {
        int p = highest();
        return p < 0 ? null : lanes[p].peek();
    }

    int clear() {
        int n = size;
        // Visit only the non-empty lanes, through the bitmap.
        for (int w = 0; w < nonEmpty.length; w++) {
            long bits = nonEmpty[w];
            while (bits != 0) {
                int p = (w << 6) + Long.numberOfTrailingZeros(bits);
                lanes[p].clear();
                bits &= bits - 1;
            }
            nonEmpty[w] = 0;
        }
        size = 0;
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

        void clear() {
            java.util.Arrays.fill(items, null);
            head = 0;
            count = 0;
            if (items.length > 1024) {
                items = new Object[16];
            }
        }
    }
}
