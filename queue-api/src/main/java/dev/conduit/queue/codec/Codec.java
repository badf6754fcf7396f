package dev.conduit.queue.codec;

import java.nio.ByteBuffer;

/**
 * Turns items into bytes and back, for backends that move bytes (shm, rpc, ray). In-JVM backends
 * keep items as objects and do not call the codec.
 *
 * <p>Implementations are thread-safe and stateless between calls.
 *
 * @param <T> the item type
 */
public interface Codec<T> {

    /** @return a short name for logs and the CLI, for example {@code "kryo"} */
    String name();

    /**
     * Encodes an item.
     *
     * @param item the item, not null
     * @return the bytes
     * @throws dev.conduit.queue.SerializationException if the item cannot be encoded (for the
     *     object codec: its class is not on the allow-list)
     */
    byte[] encode(T item);

    /**
     * Decodes an item.
     *
     * @param bytes the array
     * @param offset where the item starts
     * @param length its length
     * @return the item
     * @throws dev.conduit.queue.SerializationException if the bytes are not a valid item; no
     *     class outside the allow-list is ever instantiated
     */
    T decode(byte[] bytes, int offset, int length);

    /**
     * Decodes an item from a buffer's remaining bytes; the buffer's position moves to its limit.
     * Codecs that can read a buffer directly (primitive arrays) override this to skip a copy.
     *
     * @param buffer the bytes
     * @return the item
     */
    default T decode(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.get(b);
        return decode(b, 0, b.length);
    }

    /**
     * The encoded size, when it is known without encoding (fixed-layout codecs), so that a backend
     * can write the item straight into its own memory with {@link #encodeTo}.
     *
     * @param item the item
     * @return the size in bytes, or -1 when unknown
     */
    default int encodedSize(T item) {
        return -1;
    }

    /**
     * Writes an item at the buffer's position; only called when {@link #encodedSize} returned a
     * size and the buffer has that much room.
     *
     * @param item the item
     * @param buffer where to write; its position moves past the item
     */
    default void encodeTo(T item, ByteBuffer buffer) {
        buffer.put(encode(item));
    }
}
