package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.codec.RecyclingCodec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RecyclingCodec} on an shm queue, the consumer path docs/shm.md recommends for large
 * primitive arrays: items decode into arrays handed back, and read exactly as with the plain codec.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RecyclingCodecTest {
    @TempDir
    Path dir;

    private QueueDescriptor shm(String id) {
        return QueueDescriptor.shm(id).withNamespace("test").withCapacity(4).withOption("dir", dir.toString())
                .withOption("itemSize", "4096");
    }

    private static float[] floats(int n, float base) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = base + i;
        }
        return a;
    }

    @Test
    void aRecycledArrayIsFilledByTheNextItemOfItsLengthAndOthersGetFreshArrays() throws Exception {
        RecyclingCodec<float[]> codec = RecyclingCodec.of(Codecs.floats());
        try (MessageQueue<float[]> producer = shm("floats").open(Codecs.floats());
                MessageQueue<float[]> consumer = shm("floats").open(codec)) {
            producer.put(floats(100, 1));
            float[] first = consumer.get();
            assertArrayEquals(floats(100, 1), first);
            codec.recycle(first);
            assertEquals(1, codec.pooled());

            producer.put(floats(7, 50)); // another length: a fresh array, the pooled one stays
            float[] other = consumer.get();
            assertArrayEquals(floats(7, 50), other);
            assertNotSame(first, other);
            assertEquals(1, codec.pooled());

            producer.put(floats(100, 1000));
            float[] again = consumer.get();
            assertSame(first, again);
            assertArrayEquals(floats(100, 1000), again); // every element overwritten
            assertEquals(0, codec.pooled());

            producer.put(new float[0]);
            assertEquals(0, consumer.get().length);
        }
    }

    @Test
    void aRecyclingProducerWritesWhatThePlainCodecReads() throws Exception {
        RecyclingCodec<long[]> codec = RecyclingCodec.of(Codecs.longs());
        try (MessageQueue<long[]> producer = shm("longs").open(codec);
                MessageQueue<long[]> consumer = shm("longs").open(Codecs.longs())) {
            producer.put(new long[] {1, -2, Long.MAX_VALUE});
            assertArrayEquals(new long[] {1, -2, Long.MAX_VALUE}, consumer.get());
        }
    }

    @Test
    void thePoolKeepsAtMostItsSizeAndConsumersThatNeverRecycleStillGetEveryItem() throws Exception {
        RecyclingCodec<int[]> codec = RecyclingCodec.of(Codecs.ints(), 2);
        List<int[]> held = new ArrayList<>();
        try (MessageQueue<int[]> q = shm("ints").open(codec)) {
            for (int i = 0; i < 10; i++) {
                q.put(new int[] {i, i + 1});
                int[] got = q.get();
                assertArrayEquals(new int[] {i, i + 1}, got);
                held.add(got);
            }
        }
        held.forEach(codec::recycle);
        assertEquals(2, codec.pooled());
    }

    @Test
    void onlyPrimitiveArrayCodecsRecycleAndBadBytesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> RecyclingCodec.of(Codecs.bytes()));
        assertThrows(IllegalArgumentException.class, () -> RecyclingCodec.of(Codecs.floats(), 0));
        RecyclingCodec<double[]> codec = RecyclingCodec.of(Codecs.doubles());
        assertThrows(SerializationException.class, () -> codec.decode(ByteBuffer.allocate(12)));
        assertThrows(NullPointerException.class, () -> codec.recycle(null));
        assertEquals("doubles", codec.name());
    }
}
