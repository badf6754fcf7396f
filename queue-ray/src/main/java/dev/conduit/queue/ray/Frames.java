package dev.conduit.queue.ray;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The one wire layout for several items in one Ray call: a count, then per item its priority and
 * its length-prefixed payload. A single {@code byte[]} crosses Ray as a raw MessagePack binary,
 * which is much cheaper than Ray's object serializer for {@code byte[][]}.
 *
 * <pre>
 *   int32 count
 *   count times: uint8 priority, int32 length, length bytes
 * </pre>
 *
 * <p>Stateless; thread-safe.
 */
final class Frames {
    /** Bytes before the first item. */
    static final int HEADER_LENGTH = Integer.BYTES;
    /** Bytes before each payload: its priority and its length. */
    static final int ITEM_HEADER_LENGTH = 1 + Integer.BYTES;
    /** The frames of no items. */
    static final byte[] EMPTY = ByteBuffer.allocate(HEADER_LENGTH).putInt(0).array();
    /**
     * The most bytes of frames one call carries: the largest array every JVM allocates
     * ({@code Integer.MAX_VALUE - 8}) less 32 bytes for a request's header. The frames of one item
     * of the largest {@code maxItemBytes} ({@code Integer.MAX_VALUE - 64}) fit.
     */
    static final int MAX_LENGTH = Integer.MAX_VALUE - 8 - 32;

    private Frames() {
    }

    /**
     * Writes payloads with their priorities.
     *
     * @param payloads the encoded items
     * @param priorities one priority (0–255) per payload
     * @return the frames
     */
    static byte[] write(List<byte[]> payloads, int[] priorities) {
        return write(0, payloads, priorities);
    }

    /**
     * Writes payloads with their priorities after {@code prefix} bytes left zero for the caller (a
     * request header), so that a request is one array with no further copy.
     *
     * @param prefix bytes to leave before the frames
     * @param payloads the encoded items
     * @param priorities one priority (0–255) per payload
     * @return the array: prefix, then frames
     * @throws IllegalArgumentException if the frames would be over {@link #MAX_LENGTH}
     */
    static byte[] write(int prefix, List<byte[]> payloads, int[] priorities) {
        long length = length(payloads);
        checkLength(length, payloads.size());
        ByteBuffer out = ByteBuffer.allocate(prefix + (int) length).position(prefix).putInt(payloads.size());
        for (int i = 0; i < payloads.size(); i++) {
            byte[] p = payloads.get(i);
            out.put((byte) priorities[i]).putInt(p.length).put(p);
        }
        return out.array();
    }

    /**
     * Writes payloads held as slices of other arrays (the actor's stored items).
     *
     * @param items the payloads
     * @param priorities one priority (0–255) per payload
     * @return the frames
     * @throws IllegalArgumentException if the frames would be over {@link #MAX_LENGTH}
     */
    static byte[] write(ActorQueue.Slice[] items, int[] priorities) {
        long size = HEADER_LENGTH;
        for (ActorQueue.Slice s : items) {
            size += ITEM_HEADER_LENGTH + s.length();
        }
        checkLength(size, items.length);
        ByteBuffer out = ByteBuffer.allocate((int) size).putInt(items.length);
        for (int i = 0; i < items.length; i++) {
            ActorQueue.Slice s = items[i];
            out.put((byte) priorities[i]).putInt(s.length()).put(s.bytes(), s.offset(), s.length());
        }
        return out.array();
    }

    /**
     * @param payloads encoded items
     * @return the length of their frames, which may be over {@link #MAX_LENGTH}
     */
    static long length(List<byte[]> payloads) {
        long length = HEADER_LENGTH;
        for (byte[] p : payloads) {
            length += ITEM_HEADER_LENGTH + p.length;
        }
        return length;
    }

    /** @throws IllegalArgumentException if frames of that length are over {@link #MAX_LENGTH} */
    private static void checkLength(long length, int items) {
        if (length > MAX_LENGTH) {
            throw new IllegalArgumentException("frames of " + items + " items would be " + length
                    + " bytes, over the limit of " + MAX_LENGTH + " bytes one call carries");
        }
    }

    /**
     * Reads frames.
     *
     * @param frames the bytes {@link #write} produced
     * @param visitor called once per item, in order
     * @return the number of items
     * @throws IllegalArgumentException if the bytes are not frames
     */
    static int read(byte[] frames, ItemVisitor visitor) {
        return read(frames, 0, visitor);
    }

    /**
     * Reads frames that start at {@code offset} of an array (after a request header).
     *
     * @param frames the array holding the frames
     * @param offset where they start
     * @param visitor called once per item, in order
     * @return the number of items
     * @throws IllegalArgumentException if the bytes are not frames
     */
    static int read(byte[] frames, int offset, ItemVisitor visitor) {
        ByteBuffer in = ByteBuffer.wrap(frames).position(offset);
        int count = in.getInt();
        if (count < 0) {
            throw new IllegalArgumentException("corrupt frames: negative count " + count);
        }
        for (int i = 0; i < count; i++) {
            int priority = in.get() & 0xFF;
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw new IllegalArgumentException("corrupt frames: item " + i + " has length " + length);
            }
            visitor.item(priority, frames, in.position(), length);
            in.position(in.position() + length);
        }
        return count;
    }

    /** @return the item count of frames, without reading the items */
    static int count(byte[] frames) {
        return ByteBuffer.wrap(frames).getInt();
    }

    /** @return the item count of frames that start at {@code offset} */
    static int count(byte[] frames, int offset) {
        return ByteBuffer.wrap(frames).getInt(offset);
    }

    /** Receives the items of a frame, one call per item. */
    @FunctionalInterface
    interface ItemVisitor {
        /**
         * One item.
         *
         * @param priority 0–255
         * @param bytes the array holding the payload (shared: copy what you keep)
         * @param offset where the payload starts
         * @param length its length
         */
        void item(int priority, byte[] bytes, int offset, int length);
    }
}
