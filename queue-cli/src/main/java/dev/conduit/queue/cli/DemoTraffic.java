package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The demo's producer and consumer loops, shared by its process mode and its thread mode. An item
 * is {@code long[]{sequence, System.nanoTime() at put}} through {@link Codecs#longs()}; the
 * sequence -1 tells a consumer to stop. Consumers record every sequence they see, so the parent
 * can prove that nothing was lost or duplicated, and the put-to-get latency of every item.
 */
final class DemoTraffic {
    private static final int BATCH = 64;

    private DemoTraffic() {
    }

    /** Puts {@code items} items in batches, then one stop marker per consumer. */
    static void produce(QueueDescriptor d, long items, int consumers) throws InterruptedException {
        try (MessageQueue<long[]> q = d.open(Codecs.longs())) {
            long seq = 0;
            while (seq < items) {
                int n = (int) Math.min(BATCH, items - seq);
                long[][] batch = new long[n][];
                long now = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    batch[i] = new long[] {seq++, now};
                }
                q.putAll(List.of(batch));
            }
            for (int i = 0; i < consumers; i++) {
                q.put(new long[] {-1, 0});
            }
        }
    }

    /** Takes items until a stop marker arrives. */
    static Result consume(QueueDescriptor d) throws InterruptedException {
        Result r = new Result();
        try (MessageQueue<long[]> q = d.open(Codecs.longs())) {
            for (;;) {
                List<long[]> batch = q.getBatch(BATCH, Duration.ofSeconds(60));
                if (batch.isEmpty()) {
                    throw new IllegalStateException("no item arrived for 60 s: the producer is gone");
                }
                long now = System.nanoTime();
                boolean stop = false;
                for (long[] item : batch) {
                    if (item[0] >= 0) {
                        r.record(item[0], now - item[1]);
                    } else if (!stop) {
                        stop = true;
                    } else {
                        // Another consumer's stop marker came in the same batch: hand it back.
                        q.put(item);
                    }
                }
                if (stop) {
                    return r;
                }
            }
        }
    }

    /** What one consumer saw. */
    static final class Result {
        final BitSet seen = new BitSet();
        final Histogram latency = new Histogram(3_600_000_000_000L, 3);
        long count;
        long duplicates;

        void record(long seq, long latencyNanos) {
            if (seen.get((int) seq)) {
                duplicates++;
            }
            seen.set((int) seq);
            count++;
            latency.recordValue(Math.max(0, latencyNanos));
        }

        void merge(Result other) {
            BitSet overlap = (BitSet) seen.clone();
            overlap.and(other.seen);
            duplicates += other.duplicates + overlap.cardinality();
            seen.or(other.seen);
            count += other.count;
            latency.add(other.latency);
        }

        void writeTo(Path file) throws IOException {
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
                out.writeLong(count);
                out.writeLong(duplicates);
                byte[] bits = seen.toByteArray();
                out.writeInt(bits.length);
                out.write(bits);
                ByteBuffer h = ByteBuffer.allocate(latency.getNeededByteBufferCapacity());
                int len = latency.encodeIntoCompressedByteBuffer(h);
                out.writeInt(len);
                out.write(h.array(), 0, len);
            }
        }

        static Result readFrom(Path file) throws IOException {
            try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
                Result r = new Result();
                r.count = in.readLong();
                r.duplicates = in.readLong();
                byte[] bits = new byte[in.readInt()];
                in.readFully(bits);
                r.seen.or(BitSet.valueOf(bits));
                byte[] h = new byte[in.readInt()];
                in.readFully(h);
                try {
                    r.latency.add(Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(h), 0));
                } catch (java.util.zip.DataFormatException e) {
                    throw new IOException("corrupt latency histogram in " + file, e);
                }
                return r;
            }
        }
    }
}
