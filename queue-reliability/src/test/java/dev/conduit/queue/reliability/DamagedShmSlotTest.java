package dev.conduit.queue.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.shm.RingLayout;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Findings of {@link ShmFileFuzzTest}, each as the exact input that shows it: a queue of capacity
 * 4, item size 64, two lanes, holding "one" (priority 200, lane 1) and "two" (priority 10, lane 0),
 * with one word of a slot of lane 0 damaged.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DamagedShmSlotTest {
    @TempDir
    Path dir;

    private QueueDescriptor queue() {
        return QueueDescriptor.shm("damaged").withNamespace("fuzz").withCapacity(4).withOption("dir", dir.toString())
                .withOption("itemSize", "64").withOption("lanes", "2").withOption("openTimeoutMs", "20")
                .withOption("stallTimeoutMs", "20");
    }

    /** Puts the two items, then overwrites bytes of the first slot of lane 0 (which holds "two"). */
    private void damageLaneZeroSlot(int offsetInSlot, byte[] bytes) throws Exception {
        try (MessageQueue<String> q = queue().open(Codecs.string())) {
            q.put("one", 200);
            q.put("two", 10);
        }
        RingLayout layout = RingLayout.of(4, 64, 2);
        try (RandomAccessFile raf = new RandomAccessFile(dir.resolve("conduit.fuzz@damaged.shm").toFile(), "rw")) {
            raf.seek(layout.slotOffset(0, 0) + offsetInSlot);
            raf.write(bytes);
        }
    }

    private static byte[] nativeOrder(int bytes, long value) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
        return (bytes == 4 ? b.putInt((int) value) : b.putLong(value)).array();
    }

    @Test
    void aBatchGetThatMeetsADamagedSlotLosesNoHealthyItem() throws Exception {
        damageLaneZeroSlot(RingLayout.SLOT_ITEM_LENGTH, nativeOrder(4, -1));
        try (MessageQueue<String> q = queue().open(Codecs.string())) {
            List<String> got = new ArrayList<>();
            try {
                got.addAll(q.getBatch(4, Duration.ofMillis(1)));
            } catch (QueueException damaged) {
                // reporting the damaged slot is right; what matters is that "one" is not lost
            }
            got.addAll(q.getBatch(4, Duration.ofMillis(1)));
            assertEquals(List.of("one"), got);
        }
    }

    @Test
    void aDamagedSlotLengthIsReportedAndSkipped() throws Exception {
        damageLaneZeroSlot(RingLayout.SLOT_ITEM_LENGTH, nativeOrder(4, -1));
        try (MessageQueue<String> q = queue().open(Codecs.string())) {
            assertEquals("one", q.get(Duration.ofSeconds(1)));
            QueueException e = assertThrows(QueueException.class, () -> q.get(Duration.ofSeconds(1)));
            assertEquals(true, e.getMessage().contains("-1 bytes"), e.getMessage());
            q.put("three");
            assertEquals("three", q.get(Duration.ofSeconds(1)));
        }
    }

    @ParameterizedTest(name = "sequence word of lane 0 slot 0 = {0}")
    @ValueSource(longs = {RingLayout.WRITING, 0})
    void aTimedGetReturnsWithinItsTimeoutWhenAClaimIsNeverPublished(long sequence) throws Exception {
        damageLaneZeroSlot(RingLayout.SLOT_SEQUENCE, nativeOrder(8, sequence));
        try (MessageQueue<String> q = queue().open(Codecs.string())) {
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                try {
                    q.getBatch(4, Duration.ofMillis(1));
                } catch (QueueException refused) {
                    // a clear refusal is fine too
                }
            });
        }
    }
}
