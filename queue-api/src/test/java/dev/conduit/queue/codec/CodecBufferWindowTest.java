package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every codec reads exactly its window: an item in the middle of a larger array or buffer (heap,
 * direct, read-only, big-endian order set by the caller), with garbage around it; encodedSize and
 * encodeTo agree with encode; a shared codec works from many threads at once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CodecBufferWindowTest {

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<Object[]> cases() {
        List<Object[]> c = new ArrayList<>();
        c.add(new Object[] {Codecs.bytes(), new byte[] {1, 2, 3}});
        c.add(new Object[] {Codecs.bytes(), new byte[0]});
        c.add(new Object[] {Codecs.string(), "h\u00e9llo \uD83D\uDE00"});
        c.add(new Object[] {Codecs.string(), ""});
        c.add(new Object[] {Codecs.floats(), new float[] {Float.NaN, -0.0f, Float.intBitsToFloat(0x7fa00001), 1e-45f}});
        c.add(new Object[] {Codecs.doubles(), new double[] {Double.NaN, -0.0, Double.longBitsToDouble(0x7ff4000000000001L)}});
        c.add(new Object[] {Codecs.ints(), new int[] {Integer.MIN_VALUE, -1, 0, 1}});
        c.add(new Object[] {Codecs.longs(), new long[] {Long.MIN_VALUE, 0x0102030405060708L}});
        c.add(new Object[] {Codecs.longs(), new long[0]});
        c.add(new Object[] {RecyclingCodec.of(Codecs.floats()), new float[] {1, 2}});
        c.add(new Object[] {Codecs.objects(), List.of("a", 1, QueueDescriptor.local("q").withOption("k", "v"))});
        return c;
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof float[] x && b instanceof float[] y) {
            int[] xi = new int[x.length];
            int[] yi = new int[y.length];
            for (int i = 0; i < x.length; i++) {
                xi[i] = Float.floatToRawIntBits(x[i]);
            }
            for (int i = 0; i < y.length; i++) {
                yi[i] = Float.floatToRawIntBits(y[i]);
            }
            return Arrays.equals(xi, yi);
        }
        if (a instanceof double[] x && b instanceof double[] y) {
            return Arrays.equals(Arrays.stream(x).mapToLong(Double::doubleToRawLongBits).toArray(),
                    Arrays.stream(y).mapToLong(Double::doubleToRawLongBits).toArray());
        }
        return Objects.deepEquals(a, b);
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void everyCodecReadsExactlyItsWindow() {
        for (Object[] k : cases()) {
            Codec codec = (Codec) k[0];
            Object item = k[1];
            byte[] enc = codec.encode(item);
            String what = codec.name() + " " + item;
            int size = codec.encodedSize(item);
            if (size >= 0) {
                assertEquals(enc.length, size, what);
                for (ByteBuffer into : new ByteBuffer[] {ByteBuffer.allocate(size + 9), ByteBuffer.allocateDirect(size + 9)}) {
                    into.order(ByteOrder.BIG_ENDIAN).position(5);
                    codec.encodeTo(item, into);
                    assertEquals(5 + size, into.position(), what);
                    byte[] written = new byte[size];
                    into.position(5);
                    into.get(written);
                    assertTrue(Arrays.equals(enc, written), what + ": encodeTo differs from encode");
                }
            }
            byte[] framed = new byte[enc.length + 11];
            Arrays.fill(framed, (byte) 0x7f);
            System.arraycopy(enc, 0, framed, 4, enc.length);
            assertTrue(same(item, codec.decode(framed, 4, enc.length)), what);
            for (ByteBuffer b : new ByteBuffer[] {ByteBuffer.wrap(framed), ByteBuffer.allocateDirect(framed.length)
                    .put(framed).clear(), ByteBuffer.wrap(framed).asReadOnlyBuffer()}) {
                b.order(ByteOrder.BIG_ENDIAN).limit(4 + enc.length).position(4);
                assertTrue(same(item, codec.decode(b)), what + " from " + b);
                assertEquals(b.limit(), b.position(), what + ": position must move to the limit");
            }
        }
    }

    @Test
    void partialElementsAndBadUtf8AreRefused() {
        assertThrows(SerializationException.class, () -> Codecs.floats().decode(new byte[7], 0, 7));
        assertThrows(SerializationException.class, () -> Codecs.longs().decode(ByteBuffer.allocateDirect(12)));
        assertThrows(SerializationException.class, () -> RecyclingCodec.of(Codecs.doubles()).decode(new byte[9], 0, 9));
        assertThrows(SerializationException.class, () -> Codecs.string().decode(new byte[] {(byte) 0xC3}, 0, 1));
        assertThrows(SerializationException.class, () -> Codecs.string().decode(new byte[] {(byte) 0xED, (byte) 0xA0,
            (byte) 0x80}, 0, 3));
        byte[] ok = Codecs.objects().encode("x");
        byte[] longer = Arrays.copyOf(ok, ok.length + 1);
        assertThrows(SerializationException.class, () -> Codecs.objects().decode(longer, 0, longer.length));
        assertThrows(SerializationException.class, () -> Codecs.objects().decode(ok, 0, ok.length - 1));
        assertThrows(SerializationException.class, () -> Codecs.objects().decode(new byte[0], 0, 0));
    }

    @Test
    void aSharedObjectCodecWorksFromManyThreads() throws Exception {
        Codec<Object> codec = Codecs.objects();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int me = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 20_000; i++) {
                        Object item = switch (i % 4) {
                            case 0 -> List.of(me, i, "s" + i);
                            case 1 -> new long[] {me, i};
                            case 2 -> QueueDescriptor.shm("q" + me).withCapacity(i + 1);
                            default -> "t" + me + "-" + i;
                        };
                        byte[] b = codec.encode(item);
                        Object back = codec.decode(b, 0, b.length);
                        if (!Objects.deepEquals(item, back)) {
                            throw new AssertionError(item + " came back as " + back);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(50, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
