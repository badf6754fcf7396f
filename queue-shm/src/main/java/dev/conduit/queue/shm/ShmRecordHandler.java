package dev.conduit.queue.shm;

import java.nio.ByteBuffer;

/**
 * Receives the records a {@link ShmReader} reads in place from a one-to-one {@code shm} ring
 * (docs/shm.md, "Zero-copy reading"): the shape of Agrona's {@code MessageHandler}.
 *
 * <p>Called on the reading thread, once per item, in queue order. The record is the item's
 * encoded form: for {@link dev.conduit.queue.codec.Codecs#bytes()} exactly the {@code byte[]} that
 * was put; for any other codec the bytes its encoder wrote, which its
 * {@link dev.conduit.queue.codec.Codec#decode decode} would be given. The bytes are valid only
 * until the call returns: the producer may overwrite the slot at once after it, so copy what you
 * keep.
 */
@FunctionalInterface
public interface ShmRecordHandler {
    /**
     * One record, in place in the queue's mapping.
     *
     * @param buffer a read-only view of the whole mapping, the same object for every call of one
     *     reader; read it with absolute gets ({@code buffer.get(offset + k)},
     *     {@code buffer.get(offset, dst, 0, length)}), whose byte order is big-endian as for a
     *     codec's decode; its position and limit are not the record's
     * @param offset where the record starts in {@code buffer}
     * @param length the record's length in bytes
     * @throws RuntimeException to stop the read: this item and those before it count as taken, the
     *     ones after it stay in the queue, and {@link ShmReader#read} throws it on
     */
    void onRecord(ByteBuffer buffer, int offset, int length);
}
