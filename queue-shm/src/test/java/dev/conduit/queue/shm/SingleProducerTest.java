package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The single-producer mode ({@code producers=single}) with real second JVMs: one producing process
 * at a time, a clear refusal for another while it lives, and recovery when it is killed in the
 * middle of a put, before or after its slot's writer tag.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SingleProducerTest {
    @TempDir
    Path dir;

    private QueueDescriptor queue(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("sp").withCapacity(capacity).withOption("dir", dir.toString())
                .withOption("itemSize", "64").withOption("producers", "single");
    }

    @Test
    void aSecondProducerProcessIsRefusedWhileTheFirstLivesAndTakesOverOnceItClosed() throws Exception {
        QueueDescriptor d = queue("refuse", 16);
        try (Children children = new Children(dir.resolve("logs"))) {
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                q.put(ShmTestProcess.item(0, 0));
                Process second = children.start("produce", d.toJson(), "1", "1", "1");
                assertNotEquals(0, Children.await(second, 60), "a second producer process put into the queue");
                assertTrue(children.logOf(0).contains("producers=single"), children.logOf(0));
                assertEquals(1, q.size(), "the refused put wrote nothing");
                MessageQueue<byte[]> otherMode = d.withOption("producers", "multi").open(Codecs.bytes());
                QueueException refused = assertThrows(QueueException.class, otherMode::size,
                        "a handle of the other mode on the same file");
                assertTrue(refused.getMessage().contains("producers single"), refused.getMessage());
            }
            // This process closed its last handle: the role is free for another producer.
            Process third = children.start("produce", d.toJson(), "2", "3", "1");
            assertEquals(0, Children.await(third, 60), children.logOf(1));
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                assertArrayEquals(ShmTestProcess.item(0, 0), q.get(Duration.ofSeconds(5)));
                for (int seq = 0; seq < 3; seq++) {
                    assertArrayEquals(ShmTestProcess.item(2, seq), q.get(Duration.ofSeconds(5)));
                }
                q.put(ShmTestProcess.item(0, 1)); // the third process exited: this one produces again
                assertArrayEquals(ShmTestProcess.item(0, 1), q.get(Duration.ofSeconds(5)));
                QueueMetrics m = q.metrics();
                assertEquals(5, m.puts());
                assertEquals(5, m.gets());
                assertEquals(5 * ShmTestProcess.ITEM_BYTES, m.bytesIn());
                assertEquals(m.bytesIn(), m.bytesOut());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void aProducerKilledMidWriteLeavesItsItemsReadableAndTheNextProducerTakesOver(int batch) throws Exception {
        QueueDescriptor d = queue("dead-writer-" + batch, 8);
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            DeadProducerClaim.leaveBehindTwoItems(children, d, q, batch, false);
            assertArrayEquals(ShmTestProcess.item(1, 0), q.get(Duration.ofSeconds(5)));
            assertArrayEquals(ShmTestProcess.item(1, 1), q.get(Duration.ofSeconds(5)));
            // The dead claim is at the head: this timed call recovers it (its tag names a dead
            // process) and steps over its tombstones, never delivering it. Without that the claim
            // would still hold the head and count in size, and a later get would have to recover it.
            assertTrue(q.getBatch(1, Duration.ofMillis(300)).isEmpty());
            assertEquals(0, q.size(), "the consumer's timed getBatch recovered the dead claim");
            // The role names a dead process: this one takes it over.
            q.put(ShmTestProcess.item(0, 0));
            assertArrayEquals(ShmTestProcess.item(0, 0), q.get(Duration.ofSeconds(10)));
            DeadProducerClaim.assertThreeTakenAndTheDeadPutNotCounted(q);
            for (int i = 1; i < 20; i++) { // around the ring, through the recovered slots
                q.put(ShmTestProcess.item(0, i), Duration.ofSeconds(10));
                assertArrayEquals(ShmTestProcess.item(0, i), q.get(Duration.ofSeconds(5)));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aProducerKilledBeforeItsTagIsRecoveredByAConsumerOrByTheNextProducer(boolean producerFirst)
            throws Exception {
        QueueDescriptor d = queue("untagged-" + producerFirst, 8);
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            // One item first, so that the claim is at index 1, past the slot of a new file whose
            // writer word is still 0. (Before 22b7505 that 0 read as a tag for index 0, so a claim
            // there was recovered as a tagged one; RingLayout.isTagFor now refuses it, and
            // LiveClaimBeforeItsTagTest covers index 0 itself.)
            Process first = children.start("produce", d.toJson(), "1", "1", "1");
            assertEquals(0, Children.await(first, 60), children.logOf(0));
            assertArrayEquals(ShmTestProcess.item(1, 0), q.get(Duration.ofSeconds(5)));
            Process dying = children.start("halt-after-claim", d.toJson());
            assertEquals(3, Children.await(dying, 60), children.logOf(1));
            assertEquals(1, q.size(), "the dead claim");
            if (producerFirst) {
                q.put(ShmTestProcess.item(0, 0)); // takes the role over and tombstones the claim
            } else {
                // The untagged claim is at the head and the role names a dead process: this timed
                // call recovers it and steps over its tombstone. Without that the claim would still
                // hold the head and count in size, and only the put below would tombstone it.
                assertTrue(q.getBatch(1, Duration.ofMillis(300)).isEmpty());
                assertEquals(0, q.size(), "the consumer's timed getBatch recovered the dead claim");
                q.put(ShmTestProcess.item(0, 0));
            }
            // Had neither recovered it, this would wait on the claim: the role names this live process.
            assertArrayEquals(ShmTestProcess.item(0, 0), q.get(Duration.ofSeconds(10)));
            QueueMetrics m = q.metrics();
            assertEquals(2, m.puts(), "the dead put is not counted: " + m);
            assertEquals(2, m.gets(), m.toString());
            assertEquals(0, q.size());
        }
    }

    @Test
    void threadsOfTheProducingProcessShareTheRoleAndEveryByteIsCounted() throws Exception {
        int threads = 4;
        int perThread = 20_000;
        try (MessageQueue<byte[]> q = queue("threads", 64).open(Codecs.bytes())) {
            AtomicLong bytes = new AtomicLong();
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread producer = new Thread(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            byte[] item = ByteBuffer.allocate(8 + (i % 40)).putInt(id).putInt(i).array();
                            if (i % 7 == 0) {
                                q.putAll(List.of(item, item.clone()));
                                bytes.addAndGet(2L * item.length);
                            } else {
                                q.put(item);
                                bytes.addAndGet(item.length);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                producer.start();
                producers.add(producer);
            }
            int[] next = new int[threads];
            long got = 0;
            long expected = (long) threads * (perThread + (perThread + 6) / 7);
            while (got < expected) {
                for (byte[] item : q.getBatch(100, Duration.ofSeconds(10))) {
                    ByteBuffer b = ByteBuffer.wrap(item);
                    int id = b.getInt();
                    int i = b.getInt();
                    assertTrue(i == next[id] || i == next[id] - 1 && i % 7 == 0, "FIFO per producer thread");
                    next[id] = i + 1;
                    got++;
                }
            }
            for (Thread t : producers) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
            QueueMetrics m = q.metrics();
            assertEquals(expected, m.puts());
            assertEquals(expected, m.gets());
            assertEquals(bytes.get(), m.bytesIn());
            assertEquals(m.bytesIn(), m.bytesOut());
        }
    }
}
