package dev.conduit.queue.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** {@link Codecs#bytes()}: byte arrays as they are. Thread-safe. */
final class ByteArrayCodec implements Codec<byte[]> {
    static final ByteArrayCodec INSTANCE = new ByteArrayCodec();

    @Override
    public String name() {
        return "bytes";
    }

    @Override
    public byte[] encode(byte[] item) {
        return item;
    }

    @Override
    public byte[] decode(byte[] bytes, int offset, int length) {
        return offset == 0 && length == bytes.length ? bytes : Arrays.copyOfRange(bytes, offset, offset + length);
    }

    @Override
    public int encodedSize(byte[] item) {
        return item.length;
    }

    @Override
    public void encodeTo(byte[] item, ByteBuffer buffer) {
        buffer.put(item);
    }
}
