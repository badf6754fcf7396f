package dev.conduit.queue.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.codec.AllowList;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The codecs of {@code dev.conduit.queue.codec}, on their own. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CodecTest {

    /** A record of ours, allowed explicitly. */
    record Point(int x, String label) {
    }

    /** A plain class of ours without a no-argument constructor, allowed explicitly. */
    static final class Reading {
        final String sensor;
        final double[] values;

        Reading(String sensor, double[] values) {
            this.sensor = sensor;
            this.values = values;
        }
    }

    /** Set by {@link EvilBox1}'s static initializer, which must never run. */
    static final AtomicBoolean EVIL_INITIALIZED = new AtomicBoolean();

    /** A harmless allowed class whose name has the same length as {@link EvilBox1}'s. */
    static final class SafeBox1 {
        int value = 7;
    }

    /**
     * Stands for a gadget class: never referenced by code, only named inside crafted bytes. Its
     * static initializer records that it ran.
     */
    static final class EvilBox1 {
        static {
            EVIL_INITIALIZED.set(true);
        }

        int value;
    }

    private static <T> T roundTrip(Codec<T> codec, T item) {
        byte[] bytes = codec.encode(item);
        byte[] framed = new byte[bytes.length + 6];
        System.arraycopy(bytes, 0, framed, 3, bytes.length);
        T fromOffset = codec.decode(framed, 3, bytes.length);
        T fromBuffer = codec.decode(ByteBuffer.wrap(bytes));
        assertEquals(String.valueOf(Arrays.deepToString(new Object[] {fromOffset})),
                String.valueOf(Arrays.deepToString(new Object[] {fromBuffer})));
        return fromOffset;
    }

    @Test
    void bytesCodecPassesBytesThroughUnchanged() {
        byte[] b = {0, 1, -1, 127, -128};
        assertArrayEquals(b, roundTrip(Codecs.bytes(), b));
        assertArrayEquals(new byte[0], roundTrip(Codecs.bytes(), new byte[0]));
        assertEquals(5, Codecs.bytes().encodedSize(b));
    }

    @Test
    void stringCodecIsUtf8AndRefusesMalformedBytes() {
        String s = "héllo wörld ✓ 𝄞";
        assertEquals(s, roundTrip(Codecs.string(), s));
        assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), Codecs.string().encode(s));
        assertEquals("", roundTrip(Codecs.string(), ""));
        byte[] malformed = {(byte) 0xC3, (byte) 0x28};
        assertThrows(SerializationException.class, () -> Codecs.string().decode(malformed, 0, malformed.length));
    }

    @Test
    void primitiveArrayCodecsRoundTripEveryValueAsRawLittleEndianBytes() {
        float[] f = {0f, -0f, 1.5f, Float.NaN, Float.MAX_VALUE, Float.MIN_VALUE, Float.NEGATIVE_INFINITY};
        double[] d = {0d, -0d, Math.PI, Double.NaN, Double.MAX_VALUE, Double.MIN_VALUE, Double.POSITIVE_INFINITY};
        int[] i = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE};
        long[] l = {0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE};
        assertArrayEquals(f, roundTrip(Codecs.floats(), f));
        assertArrayEquals(d, roundTrip(Codecs.doubles(), d));
        assertArrayEquals(i, roundTrip(Codecs.ints(), i));
        assertArrayEquals(l, roundTrip(Codecs.longs(), l));
        assertArrayEquals(new float[0], roundTrip(Codecs.floats(), new float[0]));
        assertArrayEquals(new byte[] {1, 0, 0, 0, -2, -1, -1, -1}, Codecs.ints().encode(new int[] {1, -2}));
        assertEquals(f.length * 4, Codecs.floats().encode(f).length, "no header: exactly 4 bytes per float");
        assertEquals(d.length * 8, Codecs.doubles().encodedSize(d));
        ByteBuffer target = ByteBuffer.allocate(64);
        target.position(5);
        Codecs.longs().encodeTo(l, target);
        assertEquals(5 + l.length * 8, target.position());
        assertArrayEquals(l, Codecs.longs().decode(target.array(), 5, l.length * 8));
    }

    @Test
    void primitiveArrayCodecsRefuseAPartialElement() {
        byte[] seven = new byte[7];
        assertThrows(SerializationException.class, () -> Codecs.ints().decode(seven, 0, 7));
        assertThrows(SerializationException.class, () -> Codecs.longs().decode(seven, 0, 7));
        assertThrows(SerializationException.class, () -> Codecs.floats().decode(seven, 0, 7));
        assertThrows(SerializationException.class, () -> Codecs.doubles().decode(seven, 0, 7));
    }

    @Test
    void codecsAreFoundByName() {
        for (String name : List.of("kryo", "bytes", "string", "floats", "doubles", "ints", "longs")) {
            assertEquals(name, Codecs.byName(name).name());
        }
        assertThrows(IllegalArgumentException.class, () -> Codecs.byName("pickle"));
    }

    @Test
    void kryoCodecCarriesItsBuiltInsWithoutRegistration() {
        Codec<Object> k = Codecs.kryo();
        List<Object> values = new ArrayList<>(List.of("text", 42, 42L, 3.5d, 2.5f, (short) 3, (byte) 4, 'c', true,
                new BigInteger("123456789012345678901234567890"), new BigDecimal("3.14159265358979323846"),
                UUID.randomUUID(), Instant.parse("2024-05-06T07:08:09.123Z"), Duration.ofMillis(1500),
                LocalDate.of(2024, 2, 29), LocalDateTime.of(2024, 2, 29, 13, 14),
                ZonedDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneId.of("Europe/Paris")),
                List.of(1, 2, 3), Map.of("k", "v"), Set.of("only"), new ArrayList<>(Arrays.asList("a", null)),
                new HashMap<>(Map.of("x", 1)), new LinkedHashMap<>(Map.of("y", 2)), new TreeMap<>(Map.of("z", 3)),
                new HashSet<>(List.of(1, 2)), Arrays.asList("p", "q"), Collections.emptyList(),
                Collections.unmodifiableList(new ArrayList<>(List.of(9))),
                List.of(Map.of("nested", List.of(1L, 2L)))));
        for (Object v : values) {
            assertEquals(v, k.decode(k.encode(v), 0, k.encode(v).length), "round trip of " + v.getClass());
        }
        int[] ints = {1, 2, 3};
        assertArrayEquals(ints, (int[]) k.decode(k.encode(ints), 0, k.encode(ints).length));
        byte[] bytes = {9, 8};
        assertArrayEquals(bytes, (byte[]) k.decode(k.encode(bytes), 0, k.encode(bytes).length));
    }

    @Test
    void defaultObjectCodecRoundTripsAPlainString() {
        Codec<Object> k = Codecs.objects();
        byte[] bytes = k.encode("hello");
        assertEquals("hello", k.decode(bytes, 0, bytes.length));
    }

    @Test
    void kryoCodecCarriesADescriptorExactly() {
        Codec<Object> k = Codecs.objects();
        QueueDescriptor d = QueueDescriptor.shm("jobs").withNamespace("run-1").withOption("itemSize", "64");
        byte[] bytes = k.encode(d);
        QueueDescriptor back = (QueueDescriptor) k.decode(bytes, 0, bytes.length);
        assertEquals(d, back);
        assertEquals(d.createdAt(), back.createdAt());
    }

    @Test
    void recordsAndClassesRoundTripOnceAllowed() {
        Codec<Object> k = Codecs.kryo(Point.class, Reading.class);
        Point p = new Point(3, "three");
        assertEquals(p, k.decode(k.encode(p), 0, k.encode(p).length));
        Reading r = new Reading("s1", new double[] {1.5, 2.5});
        Reading back = (Reading) k.decode(k.encode(r), 0, k.encode(r).length);
        assertEquals("s1", back.sensor);
        assertArrayEquals(r.values, back.values);
        Codec<Object> byPackage = Codecs.kryo(new AllowList().allowPackage(CodecTest.class.getPackageName()));
        assertEquals(p, byPackage.decode(byPackage.encode(p), 0, byPackage.encode(p).length));
    }

    @Test
    void allowListRefusesTooBroadPackages() {
        AllowList list = new AllowList();
        for (String p : List.of("java.util", "javax.naming", "sun.misc", "jdk.internal", "com.sun.rowset", "com", "")) {
            assertThrows(IllegalArgumentException.class, () -> list.allowPackage(p), p);
        }
    }

    @Test
    void unregisteredClassIsRefusedOnEncodeNamingTheClass() {
        Codec<Object> k = Codecs.kryo();
        SerializationException e = assertThrows(SerializationException.class, () -> k.encode(new Point(1, "x")));
        assertTrue(e.getMessage().contains("Point"), e.getMessage());
        assertThrows(SerializationException.class, () -> k.encode(List.of(new Point(1, "x"))));
    }

    @Test
    void bytesNamingAClassOffTheAllowListAreRefusedBeforeTheClassIsInitialized() {
        String safeName = SafeBox1.class.getName();
        String evilName = safeName.replace("SafeBox1", "EvilBox1");
        Codec<Object> writer = Codecs.kryo(SafeBox1.class);
        byte[] bytes = writer.encode(new SafeBox1());
        // Craft bytes from elsewhere: the same encoding, naming the gadget class instead.
        byte[] crafted = replace(bytes, "SafeBox".getBytes(StandardCharsets.US_ASCII),
                "EvilBox".getBytes(StandardCharsets.US_ASCII));
        Codec<Object> reader = Codecs.kryo(SafeBox1.class);
        SerializationException e = assertThrows(SerializationException.class,
                () -> reader.decode(crafted, 0, crafted.length));
        assertTrue(e.getMessage().contains(evilName), "the refusal should name the class: " + e.getMessage());
        assertFalse(EVIL_INITIALIZED.get(), "the refused class's static initializer ran");
        Codec<Object> strangers = Codecs.kryo();
        assertThrows(SerializationException.class, () -> strangers.decode(bytes, 0, bytes.length));
    }

    @Test
    void classAllowedOnlyByTheWriterIsRefusedByTheReader() {
        Codec<Object> writer = Codecs.kryo(Point.class);
        byte[] bytes = writer.encode(new Point(5, "five"));
        Codec<Object> reader = Codecs.kryo();
        SerializationException e = assertThrows(SerializationException.class,
                () -> reader.decode(bytes, 0, bytes.length));
        assertTrue(e.getMessage().contains("Point"), e.getMessage());
    }

    private static byte[] replace(byte[] in, byte[] from, byte[] to) {
        for (int i = 0; i + from.length <= in.length; i++) {
            if (Arrays.equals(in, i, i + from.length, from, 0, from.length)) {
                byte[] out = in.clone();
                System.arraycopy(to, 0, out, i, to.length);
                return out;
            }
        }
        throw new AssertionError("the encoding does not name the class as expected");
    }

    @Test
    void garbageOrTruncatedBytesAreASerializationException() {
        Codec<Object> k = Codecs.kryo();
        Random rnd = new Random(1);
        int refused = 0;
        for (int n = 0; n < 200; n++) {
            byte[] garbage = new byte[1 + rnd.nextInt(64)];
            rnd.nextBytes(garbage);
            try {
                k.decode(garbage, 0, garbage.length);
            } catch (SerializationException expected) {
                // Any other exception type escaping would fail the test.
                refused++;
            }
        }
        assertTrue(refused > 150, "only " + refused + " of 200 random byte strings were refused");
        assertThrows(SerializationException.class, () -> k.decode(new byte[0], 0, 0));
        byte[] list = k.encode(List.of("alpha", "beta", "gamma"));
        assertThrows(SerializationException.class, () -> k.decode(list, 0, list.length - 3));
        byte[] trailing = Arrays.copyOf(list, list.length + 2);
        assertThrows(SerializationException.class, () -> k.decode(trailing, 0, trailing.length));
    }
}
