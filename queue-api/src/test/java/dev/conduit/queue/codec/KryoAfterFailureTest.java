package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.SerializationException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pooled Kryo that failed half-way (an unallowed class deep in a graph, a cycle, bytes nested too
 * deep) goes back to the pool; every item it encodes afterwards must still stand alone (another
 * process, with a fresh Kryo, decodes it), and it must still decode.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KryoAfterFailureTest {
    /** A class allowed by name (not a built-in id). */
    public record Point(int x, int y) {
    }

    /** Not allowed. */
    public record Secret(String s) {
    }

    private final AllowList allow = new AllowList().allow(Point.class);

    private void assertStandsAlone(Codec<Object> used) {
        Object item = List.of(new Point(1, 2), new Point(3, 4));
        for (int i = 0; i < 3; i++) {
            byte[] b = used.encode(item);
            Codec<Object> fresh = new KryoCodec<>(allow);
            assertEquals(item, fresh.decode(b, 0, b.length), "bytes written after a failure, read elsewhere");
            byte[] elsewhere = fresh.encode(item);
            assertEquals(item, used.decode(elsewhere, 0, elsewhere.length), "bytes from elsewhere, read after a failure");
        }
    }

    @Test
    void afterAnUnallowedClassDeepInAGraph() {
        Codec<Object> codec = new KryoCodec<>(allow);
        assertThrows(SerializationException.class,
                () -> codec.encode(new ArrayList<>(List.of(new Point(0, 0), new Secret("x")))));
        assertStandsAlone(codec);
    }

    @Test
    void afterACycle() {
        Codec<Object> codec = new KryoCodec<>(allow);
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(new Point(0, 0));
        cyclic.add(cyclic);
        assertThrows(SerializationException.class, () -> codec.encode(cyclic));
        assertStandsAlone(codec);
    }

    @Test
    void afterBytesNestedTooDeep() {
        Codec<Object> codec = new KryoCodec<>(allow);
        byte[] open = codec.encode(new ArrayList<>(List.of(new ArrayList<>())));
        byte[] one = codec.encode(new ArrayList<>());
        // open = [list header + one element] then the inner empty list; repeat the outer part.
        int outer = open.length - one.length;
        ByteArrayOutputStream deep = new ByteArrayOutputStream();
        for (int i = 0; i < 200_000; i++) {
            deep.write(open, 0, outer);
        }
        deep.writeBytes(one);
        byte[] bytes = deep.toByteArray();
        assertThrows(SerializationException.class, () -> codec.decode(bytes, 0, bytes.length));
        assertStandsAlone(codec);
    }
}
