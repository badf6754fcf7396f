package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many client processes put and get a million numbered items through one server; every number is
 * counted exactly once. Sizes: {@code -Dconduit.rpc.items} (default 1,000,000),
 * {@code -Dconduit.rpc.producers}, {@code -Dconduit.rpc.consumers} (default 3 each),
 * {@code -Dconduit.rpc.batch} (default 1000).
 */
class RpcManyProcessesTest {
    private static final int ITEMS = Integer.getInteger("conduit.rpc.items", 1_000_000);
    private static final int PRODUCERS = Integer.getInteger("conduit.rpc.producers", 3);
    private static final int CONSUMERS = Integer.getInteger("conduit.rpc.consumers", 3);
    private static final int BATCH = Integer.getInteger("conduit.rpc.batch", 1000);

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void processesMoveAMillionItemsThroughOneServerWithNoneLostOrDuplicated(@TempDir Path dir) throws Exception {
        List<Process> children = new ArrayList<>();
        try (QueueServer server = QueueServer.builder().port(0).start()) {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", server.port(), "million")
                    .withCapacity(Math.max(50_000, 4 * BATCH)).withOption("callTimeoutMillis", "60000");
            String json = d.toJson();
            long start = System.nanoTime();
            List<Process> consumers = new ArrayList<>();
            for (int c = 0; c < CONSUMERS; c++) {
                Process p = ChildJvm.start(dir.resolve("consumer-" + c + ".log"), RpcLoadClient.class, "consume",
                        json, dir.resolve("got-" + c + ".bin").toString(), Integer.toString(BATCH));
                consumers.add(p);
                children.add(p);
            }
            List<Process> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                long first = (long) ITEMS * p / PRODUCERS;
                long end = (long) ITEMS * (p + 1) / PRODUCERS;
                Process proc = ChildJvm.start(dir.resolve("producer-" + p + ".log"), RpcLoadClient.class, "produce",
                        json, Long.toString(first), Long.toString(end), Integer.toString(BATCH));
                producers.add(proc);
                children.add(proc);
            }
            for (int p = 0; p < producers.size(); p++) {
                assertTrue(producers.get(p).waitFor(500, TimeUnit.SECONDS), "producer " + p + " finished");
                assertEquals(0, producers.get(p).exitValue(), () -> "producer failed: " + log(dir, "producer"));
            }
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                for (int c = 0; c < CONSUMERS; c++) {
                    q.put(RpcLoadClient.encode(RpcLoadClient.STOP));
                }
                for (int c = 0; c < consumers.size(); c++) {
                    assertTrue(consumers.get(c).waitFor(120, TimeUnit.SECONDS), "consumer " + c + " finished");
                    assertEquals(0, consumers.get(c).exitValue(), () -> "consumer failed: " + log(dir, "consumer"));
                }
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                BitSet seen = new BitSet(ITEMS);
                long total = 0;
                long duplicates = 0;
                for (int c = 0; c < CONSUMERS; c++) {
                    try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                            new FileInputStream(dir.resolve("got-" + c + ".bin").toFile()), 1 << 16))) {
                        for (;;) {
                            long n;
                            try {
                                n = in.readLong();
                            } catch (EOFException end) {
                                break;
                            }
                            assertTrue(n >= 0 && n < ITEMS, "item " + n + " was never put");
                            if (seen.get((int) n)) {
                                duplicates++;
                            }
                            seen.set((int) n);
                            total++;
                        }
                    }
                }
                assertEquals(0, duplicates, "duplicated items");
                assertEquals(ITEMS, seen.cardinality(), "distinct items delivered");
                assertEquals(ITEMS, total, "items delivered");
                assertEquals(0, q.size(), "nothing left behind");
                System.out.printf("%d items, %d producer and %d consumer processes, batches of %d: %d s%n", ITEMS,
                        PRODUCERS, CONSUMERS, BATCH, seconds);
            }
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
        }
    }

    private static String log(Path dir, String prefix) {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(f -> f.getFileName().toString().startsWith(prefix))::iterator) {
                b.append(f.getFileName()).append(":\n").append(Files.readString(f)).append('\n');
            }
        } catch (Exception e) {
            b.append(e);
        }
        return b.toString();
    }
}
