package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The zero-copy reader of the one-to-one ring ({@link ShmReader}, docs/shm.md "Zero-copy reading")
 * with real second JVMs: a million items from a producer process read in place by a consumer
 * process, a handler that throws, the refusals, tombstones of a dead producer, a consumer killed with
 * SIGKILL inside a read, and reads mixed with get and getBatch on one queue.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ZeroCopyReaderTest {
    private static final long ITEMS = Long.getLong("conduit.shm.items", 1_000_000L);

    @TempDir
    Path dir;

    private QueueDescriptor queue(String id, int capacity, String threads) {
        return QueueDescriptor.shm(id).withNamespace("zero-copy").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "64")
                .withOption("producers", "single").withOption("consumers", "single")
                .withOption("threads", threads);
    }

    /** Reads what is there now, each record copied out, in order. */
    private static List<byte[]> readAll(ShmReader reader, int limit) {
        List<byte[]> out = new ArrayList<>();
        reader.read((buffer, offset, length) -> {
            byte[] copy = new byte[length];
            buffer.get(offset, copy, 0, length);
            out.add(copy);
        }, limit);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"confined", "shared"})
    void aProducerProcessAndAReaderInAConsumerProcessExchangeAMillionItemsEachCountedAndChecksummed(String threads)
            throws Exception {
        long items = threads.equals("confined") ? ITEMS : ITEMS / 10;
        QueueDescriptor d = queue("million-" + threads, 4096, threads);
        OneToOneTransfer.run(dir, d, "read-in-place", items);
    }

    @ParameterizedTest
    @ValueSource(strings = {"confined", "shared"})
    void aHandlerThatThrowsTakesItsItemAndThoseBeforeItAndLeavesTheRestInOrder(String threads) throws Exception {
        QueueDescriptor d = queue("throws-" + threads, 16, threads);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
            for (int seq = 0; seq < 10; seq++) {
                q.put(ShmTestProcess.item(0, seq));
            }
            RuntimeException boom = new IllegalStateException("the handler refuses item 3");
            List<Long> handed = new ArrayList<>();
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> reader.read((buffer, offset, length) -> {
                long seq = buffer.getLong(offset + 8);
                handed.add(seq);
                if (seq == 3) {
                    throw boom;
                }
            }, 100));
            assertSame(boom, thrown);
            assertEquals(List.of(0L, 1L, 2L, 3L), handed);
            assertEquals(6, q.size(), "the rest stays in the queue");
            QueueMetrics m = q.metrics();
            assertEquals(4, m.gets(), m.toString());
            assertEquals(0, m.dropped(), m.toString());
            assertEquals(4L * ShmTestProcess.ITEM_BYTES, m.bytesOut());
            List<byte[]> rest = readAll(reader, 100);
            assertEquals(6, rest.size());
            for (int i = 0; i < 6; i++) {
                assertArrayEquals(ShmTestProcess.item(0, 4 + i), rest.get(i));
            }
            m = q.metrics();
            assertEquals(10, m.gets());
            assertEquals(m.bytesIn(), m.bytesOut());
            assertEquals(0, reader.read((buffer, offset, length) -> { }, 100), "empty: 0 without waiting");
        }
    }

    @Test
    void theReaderIsRefusedOnQueuesItCannotReadInPlaceAndWhenClosed() throws Exception {
        QueueDescriptor d = queue("refused", 8, "shared");
        for (QueueDescriptor bad : List.of(d.withOption("consumers", "multi"),
                d.withoutOption("consumers").withoutOption("producers"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShmQueues.reader(bad));
            assertTrue(e.getMessage().contains("consumers=single") && e.getMessage().contains("getBatch"),
                    e.getMessage());
        }
        IllegalArgumentException durable = assertThrows(IllegalArgumentException.class,
                () -> ShmQueues.reader(d.withOption("durable", "true")));
        assertTrue(durable.getMessage().contains("durable=true"), durable.getMessage());
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
                () -> ShmQueues.reader(QueueDescriptor.local("not-shm")));
        assertTrue(local.getMessage().contains("type 'local'"), local.getMessage());
        ShmReader reader = ShmQueues.reader(d);
        assertThrows(IllegalArgumentException.class, () -> reader.read((b, o, l) -> { }, 0));
        reader.close();
        reader.close();
        assertThrows(QueueClosedException.class, () -> reader.read((b, o, l) -> { }, 1));
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.put(ShmTestProcess.item(0, 0));
            assertArrayEquals(ShmTestProcess.item(0, 0), q.get(Duration.ofSeconds(5)), "the queue is not affected");
        }
    }

    @Test
    void aTakeFromInsideTheHandlerIsRefusedWithNothingChanged() throws Exception {
        for (String threads : List.of("confined", "shared")) {
            QueueDescriptor d = queue("reentry-" + threads, 8, threads);
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
                q.put(ShmTestProcess.item(0, 0));
                q.put(ShmTestProcess.item(0, 1));
                List<Throwable> refused = new ArrayList<>();
                assertEquals(1, reader.read((buffer, offset, length) -> {
                    for (Executable take : List.<Executable>of(q::getNowait, () -> q.getBatch(5, Duration.ZERO),
                            q::clear, () -> reader.read((b, o, l) -> { }, 5))) {
                        try {
                            take.execute();
                        } catch (Throwable e) {
                            refused.add(e);
                        }
                    }
                }, 1));
                assertEquals(4, refused.size(), threads + ": " + refused);
                for (Throwable e : refused) {
                    assertInstanceOf(QueueException.class, e);
                    assertTrue(e.getMessage().contains("inside a ShmReader handler"), e.getMessage());
                }
                assertEquals(1, q.size());
                assertArrayEquals(ShmTestProcess.item(0, 1), q.get(Duration.ofSeconds(5)));
            }
        }
    }

    @Test
    void inConfinedModeAReadFromAnotherThreadIsRefusedNamingTheOwnerAndChangesNothing() throws Exception {
        QueueDescriptor d = queue("wrong-thread", 8, "confined");
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
            q.put(ShmTestProcess.item(0, 0));
            q.put(ShmTestProcess.item(0, 1));
            assertEquals(1, readAll(reader, 1).size()); // this thread owns the consumer side now
            Throwable thrown = ConfinedThreadsTest.onAnotherThread("intruder",
                    () -> reader.read((b, o, l) -> { }, 10));
            ConfinedThreadsTest.assertRefused(thrown, Thread.currentThread().getName());
            assertTrue(thrown.getMessage().contains("ShmReader.read"), thrown.getMessage());
            assertEquals(1, q.size());
            assertArrayEquals(ShmTestProcess.item(0, 1), readAll(reader, 10).get(0));
        }
    }

    /**
     * @param batch the dead producer's batch size
     * @param producerFirst whether the next producer takes over (tombstoning the claim) before the
     *     reader meets it; else the reader's timed read recovers it
     */
    @ParameterizedTest
    @CsvSource({"1, false", "3, false", "1, true", "3, true"})
    void tombstonesOfAProducerKilledMidWriteAreSkippedAndCounted(int batch, boolean producerFirst) throws Exception {
        QueueDescriptor d = queue("dead-writer-" + batch + "-" + producerFirst, 8, "shared");
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
            DeadProducerClaim.leaveBehindTwoItems(children, d, q, batch, producerFirst);
            List<byte[]> got = new ArrayList<>();
            ShmRecordHandler copy = (buffer, offset, length) -> {
                byte[] b = new byte[length];
                buffer.get(offset, b, 0, length);
                got.add(b);
            };
            assertEquals(producerFirst ? 3 : 2, reader.read(copy, 10, Duration.ofSeconds(5)));
            if (!producerFirst) {
                // The dead claim is at the head: the timed read recovers it (the producer role names a
                // dead process) and finds nothing after it.
                assertEquals(0, reader.read(copy, 10, Duration.ofMillis(300)));
                // Recovered means tombstoned: the next read steps over it and the queue is empty, where
                // an unrecovered claim would still hold the head (and count in size).
                assertEquals(0, reader.read(copy, 10));
                assertEquals(0, q.size(), "the reader's timed read recovered the dead claim");
                q.put(ShmTestProcess.item(0, 0));
                assertEquals(1, reader.read(copy, 10, Duration.ofSeconds(5)));
            }
            assertEquals(3, got.size());
            assertArrayEquals(ShmTestProcess.item(1, 0), got.get(0));
            assertArrayEquals(ShmTestProcess.item(1, 1), got.get(1));
            assertArrayEquals(ShmTestProcess.item(0, 0), got.get(2));
            DeadProducerClaim.assertThreeTakenAndTheDeadPutNotCounted(q);
        }
    }

    @Test
    void aConsumerKilledInsideReadLosesItsClaimedRunCountedAsDroppedAndNothingIsDeliveredTwice() throws Exception {
        QueueDescriptor d = queue("dead-reader", 16, "confined");
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            for (int seq = 0; seq < 12; seq++) {
                q.put(ShmTestProcess.item(0, seq));
            }
            // The child reads with a limit of 10 (its claimed run) and is killed on the 4th record.
            Process dying = children.start("stop-inside-read", d.toJson(), "10", "3");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!children.logOf(0).contains("inside read")) {
                assertTrue(dying.isAlive(), children.logOf(0));
                assertTrue(System.nanoTime() < until, "the child did not reach its 4th record: " + children.logOf(0));
                Thread.sleep(20);
            }
            Children.kill9(dying);
            assertFalse(dying.isAlive());
            // This process takes the consumer role over: the dead run of 10 is lost and counted.
            try (ShmReader reader = ShmQueues.reader(d)) {
                List<byte[]> rest = readAll(reader, 100);
                assertEquals(2, rest.size());
                assertArrayEquals(ShmTestProcess.item(0, 10), rest.get(0));
                assertArrayEquals(ShmTestProcess.item(0, 11), rest.get(1));
                QueueMetrics m = q.metrics();
                assertEquals(12, m.puts());
                assertEquals(2, m.gets(), m.toString());
                assertEquals(10, m.dropped(), m.toString());
                assertEquals(0, q.size());
                for (int i = 12; i < 60; i++) { // around the ring, through the slots of the lost run
                    q.put(ShmTestProcess.item(0, i), Duration.ofSeconds(10));
                    List<byte[]> one = readAll(reader, 5);
                    assertEquals(1, one.size());
                    assertArrayEquals(ShmTestProcess.item(0, i), one.get(0));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"confined", "shared"})
    void readsMixedWithGetAndGetBatchOnOneQueueKeepFifo(String threads) throws Exception {
        QueueDescriptor d = queue("mixed-" + threads, 32, threads);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
            long put = 0;
            long next = 0;
            for (int round = 0; round < 200; round++) {
                for (int i = 0; i < 9; i++) {
                    q.put(ShmTestProcess.item(0, put++));
                }
                List<byte[]> taken = new ArrayList<>();
                switch (round % 4) {
                    case 0 -> taken.add(q.get(Duration.ofSeconds(5)));
                    case 1 -> taken.addAll(q.getBatch(3, Duration.ofSeconds(5)));
                    case 2 -> taken.addAll(readAll(reader, 4));
                    default -> taken.addAll(readAll(reader, 1));
                }
                taken.addAll(readAll(reader, 2));
                taken.addAll(q.getBatch(2, Duration.ZERO));
                taken.add(q.get(Duration.ofSeconds(5)));
                taken.addAll(round % 2 == 0 ? readAll(reader, 1000) : q.getBatch(1000, Duration.ZERO));
                assertEquals(9, taken.size());
                for (byte[] it : taken) {
                    assertEquals(next++, ByteBuffer.wrap(it).getLong(8), "FIFO across reads, gets and batches");
                }
            }
            QueueMetrics m = q.metrics();
            assertEquals(put, m.gets());
            assertEquals(m.bytesIn(), m.bytesOut());
            assertEquals(0, m.size());
        }
    }

    @Test
    void withPriorityLanesTheHighestLaneIsReadFirst() throws Exception {
        QueueDescriptor d = queue("lanes", 8, "shared").withOption("lanes", "2");
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes()); ShmReader reader = ShmQueues.reader(d)) {
            q.put(ShmTestProcess.item(0, 0), 0);
            q.put(ShmTestProcess.item(0, 1), 0);
            q.put(ShmTestProcess.item(0, 2), 255);
            List<byte[]> got = readAll(reader, 10);
            assertEquals(3, got.size());
            assertArrayEquals(ShmTestProcess.item(0, 2), got.get(0));
            assertArrayEquals(ShmTestProcess.item(0, 0), got.get(1));
            assertArrayEquals(ShmTestProcess.item(0, 1), got.get(2));
        }
    }
}
