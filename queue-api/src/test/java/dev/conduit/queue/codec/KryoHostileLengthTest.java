package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.SerializationException;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A few bytes from elsewhere that claim a huge length must be refused with SerializationException
 * without the decoder allocating what the length claims (hundreds of megabytes from ten bytes).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KryoHostileLengthTest {
    /** What a decode of a few bytes may allocate at most. */
    private static final long LIMIT = 16L * 1024 * 1024;
    /** A length that needs far more than LIMIT to honour but fits any test heap. */
    private static final int HUGE = 64 * 1024 * 1024;

    private final Codec<Object> codec = Codecs.objects();

    /** This thread's allocated bytes so far (com.sun.management, by reflection: the test runs as a module). */
    private static long allocatedBytes() {
        try {
            Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
            return (Long) m.invoke(mx, Thread.currentThread().getId());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot measure allocation", e);
        }
    }

    private static void varint(ByteArrayOutputStream out, int v) {
        while ((v & ~0x7F) != 0) {
            out.write((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    /** The class id byte(s) the codec writes for an empty instance of a built-in type. */
    private byte[] classPrefix(Object empty, int headerBytes) {
        byte[] b = codec.encode(empty);
        return Arrays.copyOf(b, b.length - headerBytes);
    }

    private void assertRefusedCheaply(String what, byte[] hostile) {
        codec.decode(codec.encode(List.of(1)), 0, codec.encode(List.of(1)).length); // warm up
        long before = allocatedBytes();
        assertThrows(SerializationException.class, () -> codec.decode(hostile, 0, hostile.length), what);
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < LIMIT, what + ": decoding " + hostile.length + " bytes allocated " + allocated + " bytes");
    }

    private byte[] withLength(byte[] prefix, int lengthPlusOne, byte... tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix);
        varint(out, lengthPlusOne);
        out.writeBytes(tail);
        return out.toByteArray();
    }

    @Test
    void primitiveArraysWithHugeLengthAreRefusedWithoutAllocatingIt() {
        assertRefusedCheaply("long[]", withLength(classPrefix(new long[0], 1), HUGE + 1, (byte) 1, (byte) 2));
        assertRefusedCheaply("int[]", withLength(classPrefix(new int[0], 1), HUGE + 1, (byte) 1));
        assertRefusedCheaply("double[]", withLength(classPrefix(new double[0], 1), HUGE + 1, (byte) 1));
        assertRefusedCheaply("byte[]", withLength(classPrefix(new byte[0], 1), HUGE + 1, (byte) 1));
        assertRefusedCheaply("char[]", withLength(classPrefix(new char[0], 1), HUGE + 1, (byte) 1));
    }

    @Test
    void objectArraysWithHugeLengthAreRefusedWithoutAllocatingIt() {
        assertRefusedCheaply("Object[]", withLength(classPrefix(new Object[0], 1), HUGE + 1, (byte) 0));
        assertRefusedCheaply("String[]", withLength(classPrefix(new String[0], 1), HUGE + 1, (byte) 0));
    }

    /** A class allowed by name. */
    public record Point(int x, int y) {
    }

    @Test
    void arraysOfAnAllowedClassWithHugeLengthAreRefusedWithoutAllocatingIt() {
        Codec<Object> mine = Codecs.kryo(Point.class);
        byte[] empty = mine.encode(new Point[0]); // class by name, then length + 1 = 1
        byte[] hostile = withLength(Arrays.copyOf(empty, empty.length - 1), HUGE + 1, (byte) 0);
        long before = allocatedBytes();
        assertThrows(SerializationException.class, () -> mine.decode(hostile, 0, hostile.length));
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < LIMIT, "Point[]: decoding " + hostile.length + " bytes allocated " + allocated);
        Point[] points = {new Point(1, 2), null};
        byte[] b = mine.encode(points);
        assertArrayEquals(points, (Point[]) mine.decode(b, 0, b.length));
    }

    @Test
    void jdkClassesAUserAllowsAreBoundedToo() {
        Codec<Object> mine = Codecs.kryo(StringBuilder.class, java.util.PriorityQueue.class);
        byte[] sb = mine.encode(new StringBuilder("\u00e9")); // class, utf8 length (2 with the flag), 2 bytes
        byte[] prefix = Arrays.copyOf(sb, sb.length - 3);
        ByteArrayOutputStream hostile = new ByteArrayOutputStream();
        hostile.writeBytes(prefix);
        int v = HUGE + 1;
        hostile.write(0x80 | 0x40 | (v & 0x3F));
        varint(hostile, v >>> 6);
        hostile.write('a');
        byte[] bytes = hostile.toByteArray();
        long before = allocatedBytes();
        assertThrows(SerializationException.class, () -> mine.decode(bytes, 0, bytes.length));
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < LIMIT, "StringBuilder: decoding " + bytes.length + " bytes allocated " + allocated);

        java.util.PriorityQueue<Integer> one = new java.util.PriorityQueue<>(List.of(1));
        byte[] enc = mine.encode(one);
        byte[] two = mine.encode(new java.util.PriorityQueue<>(List.of(1, 2)));
        int i = 0;
        while (enc[i] == two[i]) {
            i++;
        }
        ByteArrayOutputStream pq = new ByteArrayOutputStream();
        pq.write(enc, 0, i);
        long size = (enc[i] & 0x3F) + (long) HUGE - 1;
        pq.write((enc[i] & 0x80) | (int) (size & 0x3F) | 0x40);
        varint(pq, (int) (size >>> 6));
        pq.write(enc, i + 1, enc.length - i - 1);
        byte[] pqBytes = pq.toByteArray();
        before = allocatedBytes();
        assertThrows(SerializationException.class, () -> mine.decode(pqBytes, 0, pqBytes.length));
        allocated = allocatedBytes() - before;
        assertTrue(allocated < LIMIT, "PriorityQueue: decoding " + pqBytes.length + " bytes allocated " + allocated);
        assertEquals("x\u00e9", mine.decode(mine.encode(new StringBuilder("x\u00e9")), 0,
                mine.encode(new StringBuilder("x\u00e9")).length).toString());
        assertEquals(List.of(1, 2), new ArrayList<>((java.util.PriorityQueue<?>) mine.decode(two, 0, two.length)));
    }

    @Test
    void bigIntegerWithHugeLengthIsRefusedWithoutAllocatingIt() {
        byte[] one = codec.encode(BigInteger.ONE); // class, varint(2), 1 byte
        byte[] prefix = Arrays.copyOf(one, one.length - 2);
        assertRefusedCheaply("BigInteger", withLength(prefix, HUGE + 1, (byte) 1));
    }

    @Test
    void stringWithHugeCharCountIsRefusedWithoutAllocatingIt() {
        byte[] s = codec.encode("\u00e9"); // class, utf8 length (1 + 1 with the flag), 2 bytes
        byte[] prefix = Arrays.copyOf(s, s.length - 3);
        int v = HUGE + 1; // Kryo's UTF-8 length: 6 bits in the first byte (0x80 = not ASCII, 0x40 = more)
        byte[] hostile = new byte[prefix.length + 6];
        System.arraycopy(prefix, 0, hostile, 0, prefix.length);
        int p = prefix.length;
        hostile[p++] = (byte) (0x80 | 0x40 | (v & 0x3F));
        hostile[p++] = (byte) (0x80 | ((v >>> 6) & 0x7F));
        hostile[p++] = (byte) (0x80 | ((v >>> 13) & 0x7F));
        hostile[p++] = (byte) (((v >>> 20) & 0x7F) | ((v >>> 27) != 0 ? 0x80 : 0));
        hostile[p++] = (byte) (v >>> 27);
        hostile[p] = 'a';
        assertRefusedCheaply("String", hostile);
    }

    /**
     * Collections: patches the size in a one-element encoding to HUGE. Kryo writes a collection's
     * size + 1 as a varint whose first byte holds a flag (0x80), a "more" bit (0x40) and 6 bits; a
     * map's size + 1 as a plain varint. The size is the first byte where the one- and two-element
     * encodings differ.
     */
    private void collection(String what, Object oneElement, Supplier<Object> grow) {
        byte[] one = codec.encode(oneElement);
        byte[] two = codec.encode(grow.get());
        int i = 0;
        while (one[i] == two[i]) {
            i++;
        }
        boolean map = oneElement instanceof java.util.Map;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(one, 0, i);
        long v = (one[i] & (map ? 0x7F : 0x3F)) + (long) HUGE - 1;
        if (map) {
            varint(out, (int) v);
        } else {
            out.write((one[i] & 0x80) | (int) (v & 0x3F) | 0x40);
            varint(out, (int) (v >>> 6));
        }
        out.write(one, i + 1, one.length - i - 1);
        assertRefusedOrCheap(what, out.toByteArray());
    }

    private void assertRefusedOrCheap(String what, byte[] hostile) {
        long before = allocatedBytes();
        try {
            codec.decode(hostile, 0, hostile.length);
        } catch (SerializationException expected) {
            // refused: fine
        }
        long allocated = allocatedBytes() - before;
        assertTrue(allocated < LIMIT, what + ": decoding " + hostile.length + " bytes allocated " + allocated + " bytes");
    }

    @Test
    void collectionsWithHugeSizeDoNotAllocateIt() {
        collection("ArrayList", new ArrayList<>(List.of("a")), () -> new ArrayList<>(List.of("a", "b")));
        collection("List.of", List.of("a", "b", "c"), () -> List.of("a", "b", "c", "d"));
        collection("HashSet", new HashSet<>(List.of("a")), () -> new HashSet<>(List.of("a", "b")));
        collection("HashMap", new HashMap<>(java.util.Map.of("a", "b")),
                () -> new HashMap<>(java.util.Map.of("a", "b", "c", "d")));
    }

    @Test
    void collectionsOfElementsThatTakeNoBytesDoNotGrowWithoutBound() {
        // Elements of one class are written once by class and then by their serializer alone, which
        // for an empty list is nothing: a few bytes can claim 64 M of them.
        collection("ArrayList of emptyList()", new ArrayList<>(List.of(java.util.Collections.emptyList())),
                () -> new ArrayList<>(List.of(java.util.Collections.emptyList(), java.util.Collections.emptyList())));
        collection("HashSet of emptyMap()", new HashSet<>(List.of(java.util.Collections.emptyMap())),
                () -> new HashSet<>(List.of(java.util.Collections.emptyMap(), java.util.Collections.emptySet())));
        collection("List.of emptySet()", List.of(java.util.Collections.emptySet()),
                () -> List.of(java.util.Collections.emptySet(), java.util.Collections.emptySet()));
    }

    @Test
    void legitimateItemsStillRoundTrip() {
        Object[] items = {
            new long[] {1, -2, Long.MAX_VALUE}, new byte[70_000], "h\u00e9llo \uD83D\uDE00", new String[] {"a", null},
            new Object[] {1, "x", null}, BigInteger.TEN.pow(400), new ArrayList<>(List.of(1, 2)), List.of(1, 2, 3, 4),
            new HashSet<>(List.of("a", "b")), new HashMap<>(java.util.Map.of("k", List.of(1))), new char[] {'a', '\u00e9'},
            "x".repeat(100_000), "\u00e9".repeat(100_000),
            new ArrayList<>(java.util.Collections.nCopies(100_000, java.util.Collections.emptyList())),
        };
        for (Object item : items) {
            byte[] b = codec.encode(item);
            Object back = codec.decode(b, 0, b.length);
            if (item.getClass().isArray()) {
                assertTrue(java.util.Objects.deepEquals(item, back), item.getClass().getSimpleName());
            } else {
                assertEquals(item, back);
            }
        }
        byte[] big = new byte[5_000_000];
        big[4_999_999] = 7;
        byte[] b = codec.encode(big);
        assertArrayEquals(big, (byte[]) codec.decode(b, 0, b.length));
    }
}
