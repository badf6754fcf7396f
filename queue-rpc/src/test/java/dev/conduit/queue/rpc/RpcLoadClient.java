package dev.conduit.queue.rpc;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A client process of the multi-process test: it opens the queue from a serialized descriptor
 * (the way another program would), then either puts a range of numbered items in batches or takes
 * items until it sees a stop item, writing every number it got to a file.
 *
 * <pre>
 * RpcLoadClient produce DESCRIPTOR_JSON FIRST END BATCH
 * RpcLoadClient consume DESCRIPTOR_JSON OUT_FILE BATCH
 * </pre>
 */
public final class RpcLoadClient {
    /** The item that tells one consumer to stop. */
    static final long STOP = -1;

    private RpcLoadClient() {
    }

    static byte[] encode(long n) {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    static long decode(byte[] b) {
        return ByteBuffer.wrap(b).getLong();
    }

    /**
     * @param args see the class comment
     * @throws Exception on any failure (the exit code tells the test)
     */
    public static void main(String[] args) throws Exception {
        QueueDescriptor d = QueueDescriptor.fromJson(args[1]);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            if (args[0].equals("produce")) {
                long first = Long.parseLong(args[2]);
                long end = Long.parseLong(args[3]);
                int batch = Integer.parseInt(args[4]);
                List<byte[]> items = new ArrayList<>(batch);
                for (long n = first; n < end; n++) {
                    items.add(encode(n));
                    if (items.size() == batch || n == end - 1) {
                        q.putAll(items);
                        items.clear();
                    }
                }
            } else {
                int batch = Integer.parseInt(args[3]);
                try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                        new FileOutputStream(args[2]), 1 << 16))) {
                    int stops = 0;
                    while (stops == 0) {
                        for (byte[] b : q.getBatch(batch, Duration.ofSeconds(30))) {
                            long n = decode(b);
                            if (n == STOP) {
                                stops++;
                            } else {
                                out.writeLong(n);
                            }
                        }
                    }
                    // Hand back the stop items meant for the other consumers.
                    for (int i = 1; i < stops; i++) {
                        q.put(encode(STOP));
                    }
                }
            }
        }
        System.exit(0);
    }
}
