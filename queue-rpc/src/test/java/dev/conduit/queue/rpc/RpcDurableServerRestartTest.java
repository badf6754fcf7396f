package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server hosting a durable (journal) queue is killed with SIGKILL while producers put, and
 * started again on the same port and journal directory: every put that was acknowledged is still
 * delivered afterwards. Sizes: {@code -Dconduit.rpc.durableCrash.items} acknowledged puts per
 * producer before the kill and as many after.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RpcDurableServerRestartTest {
    private static final int PRODUCERS = 2;
    private static final int ITEMS_EACH_SIDE = Integer.getInteger("conduit.rpc.durableCrash.items", 1_000);

    @Test
    void withADurableQueueNothingAcknowledgedIsLostWhenTheServerIsKilledDuringTraffic(@TempDir Path dir)
            throws Exception {
        List<String> flags = Arrays.asList(System.getProperty("conduit.chronicle.jvm.args", "").trim().split("\\s+"));
        ServerProcess server = ServerProcess.start(dir, 0, flags);
        int port = server.port;
        ExecutorService producers = Executors.newFixedThreadPool(PRODUCERS);
        try {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", port, "durable-crash").withCapacity(100_000)
                    .withOption("durable", "true").withOption("dir", dir.resolve("journal").toString())
                    // Ride through the restart: a put retries while the server is away.
                    .withOption("reconnectMillis", "60000").withOption("callTimeoutMillis", "10000");
            AtomicLong acked = new AtomicLong();
            AtomicBoolean restarted = new AtomicBoolean();
            List<Future<List<String>>> acknowledged = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                String name = "p" + p;
                acknowledged.add(producers.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    try (MessageQueue<String> q = d.open(Codecs.string())) {
                        int afterRestart = 0;
                        for (int i = 0; afterRestart < ITEMS_EACH_SIDE; i++) {
                            String item = name + "-" + i;
                            q.put(item);
                            mine.add(item);
                            acked.incrementAndGet();
                            if (restarted.get()) {
                                afterRestart++;
                            }
                        }
                    }
                    return mine;
                }));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (acked.get() < (long) PRODUCERS * ITEMS_EACH_SIDE) {
                for (Future<List<String>> f : acknowledged) {
                    if (f.isDone()) {
                        f.get();
                    }
                }
                assertTrue(System.nanoTime() < deadline, "only " + acked.get() + " puts before the kill");
                Thread.sleep(10);
            }
            server.kill();
            long ackedAtKill = acked.get();
            server = ServerProcess.start(dir, port, flags);
            restarted.set(true);
            Map<String, Integer> expected = new HashMap<>();
            for (Future<List<String>> f : acknowledged) {
                for (String item : f.get(120, TimeUnit.SECONDS)) {
                    expected.merge(item, 1, Integer::sum);
                }
            }
            assertTrue(acked.get() > ackedAtKill, "no put was acknowledged after the restart");

            Map<String, Integer> delivered = new HashMap<>();
            try (MessageQueue<String> consumer = d.open(Codecs.string())) {
                List<String> got;
                while (!(got = consumer.getBatch(10_000, Duration.ofSeconds(2))).isEmpty()) {
                    for (String item : got) {
                        delivered.merge(item, 1, Integer::sum);
                    }
                }
                consumer.destroy();
            }
            List<String> lost = new ArrayList<>();
            for (String item : expected.keySet()) {
                if (!delivered.containsKey(item)) {
                    lost.add(item);
                }
            }
            assertEquals(List.of(), lost, "acknowledged items lost in the crash (" + expected.size()
                    + " acknowledged, " + delivered.size() + " distinct delivered)");
            // At-least-once across a crash: only a put in flight at the kill may be applied twice.
            long duplicated = delivered.values().stream().filter(n -> n > 1).count();
            assertTrue(duplicated <= PRODUCERS, duplicated + " items delivered more than once");
            for (String item : delivered.keySet()) {
                assertTrue(item.startsWith("p"), "an item nobody put: " + item);
            }
        } finally {
            producers.shutdownNow();
            server.kill();
        }
    }
}
