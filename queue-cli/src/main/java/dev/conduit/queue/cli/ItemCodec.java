package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How {@code put}, {@code get} and {@code peek} turn command-line input into items and items back
 * into output: {@code string} (UTF-8 text; printed one item per line) or {@code bytes} (raw bytes;
 * printed as they are, base64 in JSON). Immutable.
 */
enum ItemCodec {
    /** Items are strings ({@link Codecs#string()}). */
    STRING(Codecs.string()) {
        @Override
        Object fromInput(byte[] input) {
            return new String(input, StandardCharsets.UTF_8);
        }

        @Override
        byte[] toOutput(Object item) {
            return (item + "\n").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        Object toJson(Object item) {
            return item;
        }
    },
    /** Items are byte arrays ({@link Codecs#bytes()}). */
    BYTES(Codecs.bytes()) {
        @Override
        Object fromInput(byte[] input) {
            return input;
        }

        @Override
        byte[] toOutput(Object item) {
            return (byte[]) item;
        }

        @Override
        Object toJson(Object item) {
            return Base64.getEncoder().encodeToString((byte[]) item);
        }
    };

    private final Codec<?> codec;

    ItemCodec(Codec<?> codec) {
        this.codec = codec;
    }

    /**
     * Opens a queue with this codec.
     *
     * @param d the queue
     * @return the handle; items are {@code String} or {@code byte[]}
     */
    @SuppressWarnings("unchecked")
    MessageQueue<Object> open(QueueDescriptor d) {
        return d.open((Codec<Object>) codec);
    }

    /**
     * @param input an argument's UTF-8 bytes, or what was read from standard input
     * @return the item
     */
    abstract Object fromInput(byte[] input);

    /**
     * @param item an item
     * @return what text output prints for it: the string and a newline, or the raw bytes
     */
    abstract byte[] toOutput(Object item);

    /**
     * @param item an item
     * @return the item in JSON output: the string itself, or the bytes in base64
     */
    abstract Object toJson(Object item);
}
