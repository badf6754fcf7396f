package dev.conduit.queue.codec;

import dev.conduit.queue.SerializationException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * {@link Codecs#string()}: strings as UTF-8; malformed input, and a string with a lone surrogate, are
 * refused, not replaced. Thread-safe.
 */
final class StringCodec implements Codec<String> {
    static final StringCodec INSTANCE = new StringCodec();

    @Override
    public String name() {
        return "string";
    }

    @Override
    public byte[] encode(String item) {
        byte[] bytes = item.getBytes(StandardCharsets.UTF_8);
        // getBytes writes '?' for a lone surrogate, which UTF-8 cannot carry: refuse it, as decode
        // refuses malformed bytes, rather than deliver another string. Only a '?' needs the check.
        for (byte b : bytes) {
            if (b == '?') {
                if (!StandardCharsets.UTF_8.newEncoder().canEncode(item)) {
                    throw new SerializationException("string has a lone surrogate (half of a surrogate pair), "
                            + "which UTF-8 cannot carry");
                }
                break;
            }
        }
        return bytes;
    }

    @Override
    public String decode(byte[] bytes, int offset, int length) {
        return decode(ByteBuffer.wrap(bytes, offset, length));
    }

    @Override
    public String decode(ByteBuffer buffer) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(buffer);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new SerializationException("bytes are not valid UTF-8: " + e.getMessage(), e);
        }
    }
}
