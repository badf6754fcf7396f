package dev.conduit.queue.rpc;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The take positions of a run of items, as a server numbers what it takes from one reader of a
 * hosted queue ({@link HostedQueue.Reader}): larger for an item later in the reader's order, so that
 * items given back (ReturnItems, a cancelled get's answer) go back to the head in the order they were
 * taken, whatever order they come back in. Position 0: not numbered (a server or client from before
 * the numbering). Compact while the positions follow one by one (the first and a count), as they do
 * for items taken from the store in one go.
 *
 * <p>On the wire (GetResponse and PutRequest): {@code first_position}, and {@code positions} only
 * when they do not follow one by one.
 *
 * <p>Not thread-safe.
 */
final class TakePositions {
    private long first;
    /** One per item once they stop following one by one from {@link #first}; null before. */
    private long[] listed;
    private int count;

    /**
     * Reads positions from the wire.
     *
     * @param first the first position field (0: none)
     * @param listed the listed positions field
     * @param count how many items they are for
     * @return the positions; none (count 0) when the message has no numbering for these items
     */
    static TakePositions read(long first, List<Long> listed, int count) {
        TakePositions p = new TakePositions();
        if (!listed.isEmpty() && listed.size() == count) {
            for (Long x : listed) {
                p.add(x);
            }
        } else if (first > 0 && listed.isEmpty()) {
            p.addRun(first, count);
        }
        return p;
    }

    /** @param position the next item's position */
    void add(long position) {
        if (listed == null) {
            if (count == 0) {
                first = position;
                count = 1;
                return;
            }
            if (first > 0 && position == first + count) {
                count++;
                return;
            }
            listed = new long[Math.max(8, count * 2)];
            for (int i = 0; i < count; i++) {
                listed[i] = first == 0 ? 0 : first + i;
            }
        }
        if (count == listed.length) {
            listed = Arrays.copyOf(listed, count * 2);
        }
        listed[count++] = position;
    }

    /**
     * @param from the position of the first of the next {@code n} items
     * @param n how many follow one by one from it
     */
    void addRun(long from, int n) {
        if (n <= 0) {
            return;
        }
        if (listed == null && from > 0 && (count == 0 || (first > 0 && from == first + count))) {
            if (count == 0) {
                first = from;
            }
            count += n;
            return;
        }
        for (int i = 0; i < n; i++) {
            add(from + i);
        }
    }

    /** @return how many items the positions are for (0: not numbered) */
    int count() {
        return count;
    }

    /**
     * @param i an item's index
     * @return its position, 0 if not numbered
     */
    long at(int i) {
        if (i >= count) {
            return 0;
        }
        if (listed != null) {
            return listed[i];
        }
        return first == 0 ? 0 : first + i;
    }

    /**
     * Writes the positions in their wire form.
     *
     * @param setFirst sets the first position field
     * @param addListed adds one listed position
     */
    void writeTo(LongConsumer setFirst, LongConsumer addListed) {
        if (count == 0) {
            return;
        }
        if (listed == null) {
            if (first > 0) {
                setFirst.accept(first);
            }
            return;
        }
        boolean numbered = false;
        for (int i = 0; i < count && !numbered; i++) {
            numbered = listed[i] != 0;
        }
        if (!numbered) {
            // Items of a server that does not number: the receiver treats them as such.
            return;
        }
        for (int i = 0; i < count; i++) {
            addListed.accept(listed[i]);
        }
    }
}
