package dev.conduit.queue.codec;

import dev.conduit.queue.SerializationException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** {@link Codecs#string()}: strings as UTF-8; malformed input is refused, not replaced. Thread-safe. */
final class StringCodec implements Codec<String> {
    static final StringCodec INSTANCE = new StringCodec();

    @Override
    public String name() {
        return "string";
    }

    @Override
    public byte[] encode(String item) {
        return item.getBytes(StandardCharsets.UTF_8);
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
