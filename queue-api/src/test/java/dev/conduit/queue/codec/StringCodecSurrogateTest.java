package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.SerializationException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A String may hold a lone surrogate (half of an emoji cut by substring); UTF-8 cannot carry it.
 * The string codec must refuse it rather than deliver a different string ('?').
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StringCodecSurrogateTest {
    private final Codec<String> codec = Codecs.string();

    @Test
    void aLoneSurrogateIsRefusedNotReplaced() {
        String cut = "ok \uD83D\uDE00".substring(0, 4); // "ok " + a high surrogate alone
        assertThrows(SerializationException.class, () -> codec.encode(cut));
        assertThrows(SerializationException.class, () -> codec.encode("\uDE00x"));
    }

    @Test
    void surrogatePairsAndEmptyStringsRoundTrip() {
        for (String s : new String[] {"", "h\u00e9llo", "\uD83D\uDE00".repeat(100_000), "\u0000"}) {
            byte[] b = codec.encode(s);
            assertEquals(s, codec.decode(b, 0, b.length));
        }
    }
}
