package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real second JVMs on one queue file. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CrossProcessTest {
    /** Total items of the exchange; the issue asks for a million. */
    private static final long ITEMS = Long.getLong("conduit.shm.items", 1_000_000L);
    /**
     * Seconds for all the exchange's children together: it takes a few; the class's {@code @Timeout}
     * of 300 s keeps the rest as margin for starting JVMs and the checks.
     */
    private static final long CHILD_BUDGET_SECONDS = 120;

    @TempDir
    Path dir;

    private QueueDescriptor queue(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("xproc").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "64");
    }

    @Test
    void twoProducerAndTwoConsumerProcessesExchangeEveryItemExactlyOnceInEachProducersOrder() throws Exception {
        QueueDescriptor d = queue("million", 4096);
        int producers = 2;
        int consumers = 2;
        long perProducer = ITEMS / producers;
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            ChildBudget budget = new ChildBudget(CHILD_BUDGET_SECONDS);
            List<Process> cs = new ArrayList<>();
            for (int c = 0; c < consumers; c++) {
                cs.add(children.start("consume", d.toJson(), dir.resolve("result-" + c).toString()));
            }
            List<Process> ps = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                // one producer puts single items, the other atomic batches of 16
                ps.add(children.start("produce", d.toJson(), Integer.toString(p), Long.toString(perProducer),
                        p == 0 ? "1" : "16"));
            }
            for (int i = 0; i < ps.size(); i++) {
                int log = consumers + i;
                assertEquals(0, budget.await(ps.get(i), "producer " + i, () -> children.logOf(log)),
                        children.logOf(log));
            }
            for (int c = 0; c < consumers; c++) {
                int log = c;
                budget.putFor(cs.get(c), "consumer " + c, () -> children.logOf(log), q,
                        ShmTestProcess.item(ShmTestProcess.STOP, c));
            }
            for (int c = 0; c < consumers; c++) {
                int log = c;
                assertEquals(0, budget.await(cs.get(c), "consumer " + c, () -> children.logOf(log)),
                        children.logOf(log));
            }
            long total = 0;
            long expectedChecksum = 0;
            long checksum = 0;
            Map<Long, BitSet> union = new HashMap<>();
            for (int c = 0; c < consumers; c++) {
                Tally.Report r = Tally.read(dir.resolve("result-" + c));
                assertEquals(0, r.duplicates(), "duplicates seen by consumer " + c);
                // FIFO per producer: each consumer takes a producer's items in the order they were
                // put, with gaps where the other consumer took some.
                assertEquals(0, r.reordered(), "items consumer " + c + " took after a later one of their producer");
                assertEquals(0, r.damaged(), "damaged items seen by consumer " + c);
                checksum += r.checksum();
                total += r.count();
                for (Map.Entry<Long, BitSet> mine : r.seen().entrySet()) {
                    BitSet all = union.computeIfAbsent(mine.getKey(), k -> new BitSet());
                    assertTrue(!all.intersects(mine.getValue()), "an item reached two consumers");
                    all.or(mine.getValue());
                }
            }
            for (long p = 0; p < producers; p++) {
                assertEquals(perProducer, union.get(p).cardinality(), "items of producer " + p);
                assertEquals(perProducer, union.get(p).nextClearBit(0), "items of producer " + p);
                expectedChecksum += Tally.checksumOf(p, perProducer);
            }
            assertEquals(producers * perProducer, total);
            assertEquals(expectedChecksum, checksum);
            QueueMetrics m = q.metrics();
            assertEquals(producers * perProducer + consumers, m.puts());
            assertEquals(m.puts(), m.gets());
            assertEquals(0, m.size());
        }
    }

    @Test
    void aDescriptorSentAsJsonOpensTheSameQueueInAnotherProcess() throws Exception {
        QueueDescriptor d = queue("json", 16);
        String json = d.toJson();
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<String> q = QueueDescriptor.fromJson(json).open(Codecs.string());
                MessageQueue<String> replies = d.withId("json-replies").open(Codecs.string())) {
            Process echo = children.start("echo", json);
            q.put("hello");
            q.put("world");
            long child = echo.pid();
            assertEquals("echo:hello:pid=" + child, replies.get(Duration.ofSeconds(30)));
            assertEquals("echo:world:pid=" + child, replies.get(Duration.ofSeconds(30)));
            assertEquals(2, ShmQueues.list(dir).stream().filter(i -> i.id().startsWith("json")).count());
            q.put("stop");
            assertEquals(0, Children.await(echo, 60), children.logOf(0));
        }
    }

    @Test
    void aProducerKilledMidWriteIsDetectedAndItsSlotSkipped() throws Exception {
        for (int batch : new int[] {1, 3}) {
            QueueDescriptor d = queue("dead-writer-" + batch, 8);
            try (Children children = new Children(dir.resolve("logs-w" + batch));
                    MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                q.put(new byte[] {1});
                Process p = children.start("halt-mid-write", d.toJson(), Integer.toString(batch));
                assertEquals(3, Children.await(p, 60), children.logOf(0));
                q.put(new byte[] {2});
                assertEquals(1, q.get(Duration.ofSeconds(5))[0]);
                // The dead claim sits between the two items: recovered, not waited on forever.
                assertEquals(2, q.get(Duration.ofSeconds(10))[0]);
                QueueMetrics m = q.metrics();
                assertEquals(2, m.puts());
                assertEquals(2, m.gets());
                assertEquals(0, q.size());
                q.put(new byte[] {3});
                assertEquals(3, q.get(Duration.ofSeconds(5))[0]);
            }
        }
    }

    @Test
    void aClearKilledWhileHoldingTheProducerIndexHoldsNobodyUpForLong() throws Exception {
        QueueDescriptor d = queue("dead-clearer", 8);
        try (Children children = new Children(dir.resolve("logs-c"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.put(new byte[] {1});
            Process p = children.start("halt-mid-clear", d.toJson());
            assertEquals(3, Children.await(p, 60), children.logOf(0));
            // The dead process holds lane 0's producer index: a producer finds it dead and lets go.
            q.put(new byte[] {2}, Duration.ofSeconds(10));
            q.put(new byte[] {3}, Duration.ofSeconds(10));
            // The next clear takes the turn over from the dead process and removes exactly what is there.
            assertEquals(3, q.clear());
            assertEquals(0, q.size());
            q.put(new byte[] {4});
            assertEquals(4, q.get(Duration.ofSeconds(5))[0]);
            QueueMetrics m = q.metrics();
            assertEquals(3, m.cleared());
            assertEquals(m.puts(), m.gets() + m.cleared());
        }
    }

    @Test
    void aConsumerKilledMidReadLosesOnlyThatItemAndTheSlotIsReused() throws Exception {
        QueueDescriptor d = queue("dead-reader", 2);
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.put(new byte[] {1});
            q.put(new byte[] {2});
            Process p = children.start("halt-mid-read", d.toJson());
            assertEquals(3, Children.await(p, 60), children.logOf(0));
            assertEquals(2, q.get(Duration.ofSeconds(5))[0]);
            // Wrapping around needs the dead reader's slot back.
            for (int i = 0; i < 6; i++) {
                q.put(new byte[] {(byte) (10 + i)}, Duration.ofSeconds(10));
                assertEquals(10 + i, q.get(Duration.ofSeconds(5))[0]);
            }
            QueueMetrics m = q.metrics();
            assertEquals(1, m.dropped(), "the item the dead consumer held");
            assertEquals(m.puts(), m.gets() + m.dropped());
            assertEquals(ByteBuffer.wrap(new byte[0]).remaining(), q.size());
        }
    }
}
