package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.SerializationException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stream.toList() returns the class of List.of lists, but may hold null. Whatever the object codec
 * accepts on encode it must decode: an item that encodes and then fails on every get is a poison
 * item on the consumer's side.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class KryoNullInImmutableListTest {
    private final Codec<Object> codec = Codecs.objects();

    private void encodeRefusedOrRoundTrips(Object item) {
        byte[] b;
        try {
            b = codec.encode(item);
        } catch (SerializationException refused) {
            return;
        }
        assertEquals(item, codec.decode(b, 0, b.length), "encoded " + item + " but did not decode it");
    }

    @Test
    void streamToListWithNullsIsRefusedOnEncodeOrRoundTrips() {
        encodeRefusedOrRoundTrips(Stream.of((Object) null).toList());
        encodeRefusedOrRoundTrips(Stream.of(null, null, null).toList());
        encodeRefusedOrRoundTrips(Stream.of("a", null).toList());
        encodeRefusedOrRoundTrips(Stream.of(null, "a", "b", "c").toList().subList(0, 2));
    }

    @Test
    void aStreamToListWithANullSaysWhatToDo() {
        SerializationException e = assertThrows(SerializationException.class,
                () -> codec.encode(Stream.of((Object) null).toList()));
        assertEquals(true, e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void immutableListsWithoutNullsStillRoundTrip() {
        for (Object l : new Object[] {List.of(), List.of(1), List.of(1, 2), List.of(1, 2, 3), Stream.of(1, 2).toList(),
            List.of(1, 2, 3, 4).subList(1, 3), Arrays.asList(1, null)}) {
            byte[] b = codec.encode(l);
            assertEquals(l, codec.decode(b, 0, b.length));
        }
    }
}
