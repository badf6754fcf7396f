package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Damaged files are refused with a {@link QueueException}, or keep working: never a crash, hang or out-of-bounds read. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CorruptFileTest {
    private static final int TRIALS = Integer.getInteger("conduit.shm.corruptTrials", 150);

    @TempDir
    Path dir;

    /** The queue under test; a subclass runs every check on another mode's layout. */
    QueueDescriptor queue(String id) {
        return QueueDescriptor.shm(id).withNamespace("corrupt").withCapacity(8).withOption("dir", dir.toString())
                .withOption("itemSize", "64").withOption("openTimeoutMs", "20").withOption("stallTimeoutMs", "20");
    }

    /** The layout of {@link #queue}. */
    RingLayout layout() {
        return RingLayout.of(8, 64, 1);
    }

    Path file(String id) {
        return dir.resolve("conduit.corrupt@" + id + ".shm");
    }

    /** A healthy file with three items in it. */
    Path pristine() throws Exception {
        try (MessageQueue<String> q = queue("pristine").open(Codecs.string())) {
            q.put("one");
            q.put("two");
            q.put("three");
        }
        return file("pristine");
    }

    Path copy(Path source, String id) throws Exception {
        return Files.copy(source, file(id), StandardCopyOption.REPLACE_EXISTING);
    }

    static void overwrite(Path f, long offset, byte[] bytes) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(bytes);
        }
    }

    static byte[] nativeLong(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    QueueException refusal(String id) {
        MessageQueue<String> q = queue(id).open(Codecs.string());
        return assertThrows(QueueException.class, q::size);
    }

    @Test
    void wrongMagicIsRefused() throws Exception {
        Path f = copy(pristine(), "magic");
        overwrite(f, RingLayout.MAGIC_OFFSET, nativeLong(0x1234L));
        assertTrue(refusal("magic").getMessage().contains("magic"));
    }

    @Test
    void aFileWhoseCreatorNeverWroteTheMagicIsRefusedAfterTheOpenTimeout() throws Exception {
        Path f = copy(pristine(), "unfinished");
        overwrite(f, RingLayout.MAGIC_OFFSET, nativeLong(0));
        assertTrue(refusal("unfinished").getMessage().contains("never finished"));
    }

    @Test
    void wrongVersionIsRefused() throws Exception {
        Path f = copy(pristine(), "version");
        overwrite(f, RingLayout.VERSION_OFFSET, nativeLong(99));
        assertTrue(refusal("version").getMessage().contains("layout version is 99"));
    }

    @Test
    void truncatedFilesAreRefused() throws Exception {
        Path source = pristine();
        long length = Files.size(source);
        for (long keep : new long[] {0, 7, 100, RingLayout.LANES_TABLE_OFFSET - 1, RingLayout.LANES_TABLE_OFFSET,
                length / 2, length - 1}) {
            Path f = copy(source, "truncated");
            try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
                raf.setLength(keep);
            }
            QueueException e = refusal("truncated");
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("bytes"), e.getMessage());
        }
    }

    @Test
    void aFileLongerThanItsHeaderSaysIsRefused() throws Exception {
        Path f = copy(pristine(), "longer");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(raf.length() + 4096);
        }
        assertTrue(refusal("longer").getMessage().contains("long"));
    }

    @Test
    void randomBytesInTheHeaderAreRefusedOrHarmless() throws Exception {
        Path source = pristine();
        Random random = new Random(42);
        int refused = 0;
        for (int t = 0; t < TRIALS; t++) {
            Path f = copy(source, "header");
            int region = RingLayout.LANES_TABLE_OFFSET + RingLayout.LANE_LENGTH;
            int offset = random.nextInt(region);
            byte[] junk = new byte[1 + random.nextInt(24)];
            random.nextBytes(junk);
            overwrite(f, offset, junk);
            refused += exercise("header") ? 0 : 1;
        }
        assertTrue(refused > 0, "no damaged header was refused");
    }

    @Test
    void randomBytesInSlotsAreRefusedOrHarmless() throws Exception {
        Path source = pristine();
        Random random = new Random(7);
        RingLayout layout = layout();
        for (int t = 0; t < TRIALS; t++) {
            Path f = copy(source, "slots");
            long offset = layout.slotsOffset() + random.nextInt((int) (layout.ringLength() * layout.slotLength()));
            byte[] junk = new byte[1 + random.nextInt(40)];
            random.nextBytes(junk);
            overwrite(f, offset, junk);
            exercise("slots");
        }
    }

    /** Uses a possibly damaged queue; @return true if it worked, false if refused with a QueueException. */
    private boolean exercise(String id) {
        try (MessageQueue<String> q = queue(id).open(Codecs.string())) {
            for (int i = 0; i < 12; i++) {
                try {
                    q.getBatch(4, Duration.ofMillis(1));
                    q.offer("x" + i);
                    q.metrics();
                    q.peek();
                } catch (QueueException e) {
                    // a damaged slot reported; the queue goes on
                }
            }
            q.size();
            return true;
        } catch (QueueException e) {
            return false;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            try {
                Files.deleteIfExists(file(id));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void theLayoutNamesAlignedOffsetsAndItsGeometryFollowsFromTheOptions() {
        RingLayout l = RingLayout.of(1000, 100, 3);
        assertEquals(1024, l.ringLength());
        assertEquals(192, l.slotLength());
        assertEquals(0, l.slotsOffset() % RingLayout.PAGE);
        assertEquals(l.slotsOffset() + 3L * 1024 * 192, l.fileLength());
        assertEquals(l.slotsOffset() + 1024L * 192 + 5 * 192, l.slotOffset(1, 1029));
        assertTrue(RingLayout.USERS_OFFSET + RingLayout.MAX_USERS * RingLayout.USER_LENGTH <= RingLayout.LANES_TABLE_OFFSET);
        long tag = RingLayout.tag(123456789L, 5, 300);
        assertEquals(123456789L, RingLayout.tagIndex(tag));
        assertEquals(5, RingLayout.tagUser(tag));
        assertEquals(300 & 0xFF, RingLayout.tagGeneration(tag));
        assertThrows(IllegalArgumentException.class, () -> RingLayout.of(1 << 20, 1 << 20, 1));
    }
}
