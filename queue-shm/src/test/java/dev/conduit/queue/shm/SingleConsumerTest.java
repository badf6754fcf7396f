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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one-to-one mode ({@code consumers=single} with {@code producers=single}) with real second
 * JVMs: one consuming process at a time, a clear refusal for another while it lives, the options it
 * refuses, a consumer killed in the middle of a batch (its run is lost and counted, never delivered
 * twice) and a producer killed in the middle of a put or a batch.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SingleConsumerTest {
    @TempDir
    Path dir;

    private QueueDescriptor queue(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("sc").withCapacity(capacity).withOption("dir", dir.toString())
                .withOption("itemSize", "64").withOption("producers", "single").withOption("consumers", "single");
    }

    @Test
    void aSecondConsumerProcessIsRefusedWhileTheFirstLivesAndTakesOverOnceItClosed() throws Exception {
        QueueDescriptor d = queue("refuse", 16);
        try (Children children = new Children(dir.resolve("logs"))) {
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                for (int seq = 0; seq < 3; seq++) {
                    q.put(ShmTestProcess.item(0, seq));
                }
                assertArrayEquals(ShmTestProcess.item(0, 0), q.get(Duration.ofSeconds(5))); // takes the role
                Process second = children.start("get-bytes", d.toJson(), "1");
                assertNotEquals(0, Children.await(second, 60), "a second consumer process took from the queue");
                assertTrue(children.logOf(0).contains("consumers=single"), children.logOf(0));
                assertEquals(2, q.size(), "the refused get took nothing");
                MessageQueue<byte[]> otherMode = d.withOption("consumers", "multi").open(Codecs.bytes());
                QueueException refused = assertThrows(QueueException.class, otherMode::size,
                        "a handle of the other mode on the same file");
                assertTrue(refused.getMessage().contains("consumers single"), refused.getMessage());
            }
            // This process closed its last handle: the role is free for another consumer.
            Process third = children.start("get-bytes", d.toJson(), "2");
            assertEquals(0, Children.await(third, 60), children.logOf(1));
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                assertEquals(0, q.size());
                q.put(ShmTestProcess.item(0, 3));
                assertArrayEquals(ShmTestProcess.item(0, 3), q.get(Duration.ofSeconds(5)));
                QueueMetrics m = q.metrics();
                assertEquals(4, m.puts());
                assertEquals(4, m.gets());
                assertEquals(0, m.dropped());
                assertEquals(4 * ShmTestProcess.ITEM_BYTES, m.bytesIn());
                assertEquals(m.bytesIn(), m.bytesOut());
            }
        }
    }

    @Test
    void theModeRefusesSeveralProducersAndDropOldestAtOpen() {
        QueueDescriptor d = queue("refused-options", 8);
        IllegalArgumentException multi = assertThrows(IllegalArgumentException.class,
                () -> d.withOption("producers", "multi").open(Codecs.bytes()).size());
        assertTrue(multi.getMessage().contains("requires 'producers=single'"), multi.getMessage());
        IllegalArgumentException drop = assertThrows(IllegalArgumentException.class,
                () -> d.withOption("backpressure", "DROP_OLDEST").open(Codecs.bytes()).size());
        assertTrue(drop.getMessage().contains("DROP_OLDEST"), drop.getMessage());
    }

    @Test
    void aConsumerKilledMidBatchLosesItsRunCountedAsDroppedAndNothingIsDeliveredTwice() throws Exception {
        QueueDescriptor d = queue("dead-reader", 8);
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            for (int seq = 0; seq < 5; seq++) {
                q.put(ShmTestProcess.item(0, seq));
            }
            Process dying = children.start("halt-mid-batch-read", d.toJson(), "3");
            assertEquals(3, Children.await(dying, 60), children.logOf(0));
            // This process takes the role over from the dead consumer: its run of 3 is lost.
            List<byte[]> rest = q.getBatch(10, Duration.ofSeconds(5));
            assertEquals(2, rest.size());
            assertArrayEquals(ShmTestProcess.item(0, 3), rest.get(0));
            assertArrayEquals(ShmTestProcess.item(0, 4), rest.get(1));
            QueueMetrics m = q.metrics();
            assertEquals(5, m.puts());
            assertEquals(2, m.gets(), m.toString());
            assertEquals(3, m.dropped(), m.toString());
            assertEquals(0, q.size());
            for (int i = 5; i < 30; i++) { // around the ring, through the slots of the lost run
                q.put(ShmTestProcess.item(0, i), Duration.ofSeconds(10));
                assertArrayEquals(ShmTestProcess.item(0, i), q.get(Duration.ofSeconds(5)));
            }
        }
    }

    /**
     * @param batch the dead producer's batch size
     * @param producerFirst whether the next producer takes over before a consumer meets the claim
     */
    @ParameterizedTest
    @CsvSource({"1, false", "3, false", "1, true", "3, true"})
    void aProducerKilledMidWriteLosesOnlyItsClaimAndTheQueueGoesOn(int batch, boolean producerFirst)
            throws Exception {
        QueueDescriptor d = queue("dead-writer-" + batch + "-" + producerFirst, 8);
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            DeadProducerClaim.leaveBehindTwoItems(children, d, q, batch, producerFirst);
            assertArrayEquals(ShmTestProcess.item(1, 0), q.get(Duration.ofSeconds(5)));
            assertArrayEquals(ShmTestProcess.item(1, 1), q.get(Duration.ofSeconds(5)));
            if (!producerFirst) {
                // The dead claim is at the head: this timed call recovers it (the producer role names
                // a dead process) and steps over its tombstones. Without that the claim would still hold
                // the head and count in size, and only the put below would tombstone it.
                assertTrue(q.getBatch(1, Duration.ofMillis(300)).isEmpty());
                assertEquals(0, q.size(), "the consumer's timed getBatch recovered the dead claim");
                q.put(ShmTestProcess.item(0, 0));
            }
            assertArrayEquals(ShmTestProcess.item(0, 0), q.get(Duration.ofSeconds(10)));
            DeadProducerClaim.assertThreeTakenAndTheDeadPutNotCounted(q);
            for (int i = 1; i < 20; i++) {
                q.putAll(List.of(ShmTestProcess.item(0, 2 * i), ShmTestProcess.item(0, 2 * i + 1)));
                assertEquals(2, q.getBatch(2, Duration.ofSeconds(5)).size());
            }
        }
    }

    @Test
    void clearTakesTheConsumerRoleAndRemovesWhatIsThere() throws Exception {
        QueueDescriptor d = queue("clear", 8).withOption("lanes", "2");
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.put(ShmTestProcess.item(0, 0), 0);
            q.put(ShmTestProcess.item(0, 1), 255);
            assertArrayEquals(ShmTestProcess.item(0, 1), q.peek().orElseThrow());
            assertEquals(2, q.clear());
            assertEquals(0, q.size());
            q.put(ShmTestProcess.item(0, 2));
            Process other = children.start("get-bytes", d.toJson(), "1");
            assertNotEquals(0, Children.await(other, 60), "a clear made this process the consumer");
            assertTrue(children.logOf(0).contains("consumers=single"), children.logOf(0));
            QueueMetrics m = q.metrics();
            assertEquals(3, m.puts());
            assertEquals(2, m.cleared());
            assertEquals(0, m.gets());
        }
    }
}
