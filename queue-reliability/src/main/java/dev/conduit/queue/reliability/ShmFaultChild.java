package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * The processes {@link ShmFaultLoop} kills: a producer that puts {@code [producer, seq]} items
 * forever and logs each seq after its put returned (an acknowledgement), and a consumer that gets
 * items one at a time and logs each {@code (producer, seq)} after its get returned, until it gets
 * a {@link #STOP} item.
 *
 * <pre>
 *   ShmFaultChild produce DESCRIPTOR_JSON PRODUCER_ID LOG
 *   ShmFaultChild consume DESCRIPTOR_JSON LOG
 * </pre>
 */
public final class ShmFaultChild {
    /** The producer id of the item that tells a consumer to exit. */
    public static final long STOP = -1;

    private ShmFaultChild() {
    }

    /**
     * Runs one child.
     *
     * @param args see the class comment
     * @throws Exception when the queue fails (the child then exits non-zero)
     */
    public static void main(String[] args) throws Exception {
        QueueDescriptor d = QueueDescriptor.fromJson(args[1]);
        switch (args[0]) {
            case "produce" -> produce(d, Long.parseLong(args[2]), args[3]);
            case "consume" -> consume(d, args[2]);
            default -> throw new IllegalArgumentException("unknown mode " + args[0] + " (produce or consume)");
        }
        System.exit(0);
    }

    private static void produce(QueueDescriptor d, long producer, String log) throws Exception {
        try (MessageQueue<long[]> q = d.open(Codecs.longs());
                DataOutputStream out = new DataOutputStream(new FileOutputStream(log, true))) {
            for (long seq = 0;; seq++) {
                q.put(new long[] {producer, seq});
                out.writeLong(seq);
            }
        }
    }

    private static void consume(QueueDescriptor d, String log) throws Exception {
        try (MessageQueue<long[]> q = d.open(Codecs.longs()); FileOutputStream out = new FileOutputStream(log, true)) {
            ByteBuffer record = ByteBuffer.allocate(16);
            for (;;) {
                List<long[]> got = q.getBatch(1, Duration.ofMillis(100));
                if (got.isEmpty()) {
                    continue;
                }
                long[] item = got.get(0);
                if (item[0] == STOP) {
                    return;
                }
                record.clear();
                record.putLong(item[0]).putLong(item[1]);
                out.write(record.array());
            }
        }
    }
}
