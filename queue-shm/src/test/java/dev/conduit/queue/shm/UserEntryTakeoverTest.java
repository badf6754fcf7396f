package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.QueueException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that takes over a dead process's users-table entry is not itself taken for dead while
 * it does so. The entry's pid and start time are two words: a taker that stored its pid but not yet
 * its start time left an entry naming a live pid with the dead owner's start time, which reads as a
 * reused pid, so a second process looking for a free entry at that moment took the same entry
 * again; the first process's tags then carried a generation the entry no longer had, and its live
 * claims, reads and roles read as a dead process's.
 *
 * <p>This process is the first taker, held between its claim of the entry and the rest of it (by
 * {@link ShmUsers#afterClaimForTests}); while it is held, a second JVM attaches to the same table.
 * Every other entry names a live process, so the only candidate is the one being taken.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UserEntryTakeoverTest {
    private static final long BOUND_SECONDS = 60;
    private static final String FULL = "full";

    @TempDir
    Path dir;

    @Test
    void anEntryBeingTakenOverIsNotTakenAgainByAnotherProcess() throws Exception {
        Path file = dir.resolve("users.table");
        int length = RingLayout.userOffset(RingLayout.MAX_USERS);
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            buf.order(ByteOrder.nativeOrder());
            long liveStart = sleeper.info().startInstant().orElseThrow().toEpochMilli();
            for (int u = 0; u < RingLayout.MAX_USERS - 1; u++) {
                put(buf, u, RingLayout.USER_PID, sleeper.pid());
                put(buf, u, RingLayout.USER_START, liveStart);
                put(buf, u, RingLayout.USER_GENERATION, 1);
            }
            int last = RingLayout.MAX_USERS - 1;
            Process gone = new ProcessBuilder("true").start();
            long goneStart = gone.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(1L);
            assertTrue(gone.waitFor(BOUND_SECONDS, TimeUnit.SECONDS));
            put(buf, last, RingLayout.USER_PID, gone.pid());
            put(buf, last, RingLayout.USER_START, goneStart);
            put(buf, last, RingLayout.USER_GENERATION, 5);

            AtomicReference<String> other = new AtomicReference<>();
            ShmUsers.afterClaimForTests = () -> other.set(attachInAnotherJvm(file, length));
            ShmUsers mine;
            try {
                mine = ShmUsers.attach(buf, file.toString());
            } finally {
                ShmUsers.afterClaimForTests = null;
            }
            long pid = get(buf, last, RingLayout.USER_PID);
            long start = get(buf, last, RingLayout.USER_START);
            assertAll(
                    () -> assertEquals(last, mine.user(), "this process takes the dead process's entry"),
                    () -> assertEquals(FULL, other.get(), "the other process found no free entry while this one"
                            + " took it (it printed the entry it took, or its failure)"),
                    () -> assertTrue(mine.isAlive(RingLayout.tag(0, mine.user(), mine.generation())),
                            "this process's tags name a live process"),
                    () -> assertEquals(ProcessHandle.current().pid(), pid, "the entry names this process"),
                    () -> assertNotEquals(0, start, "the entry has this process's start time"));
        } finally {
            sleeper.destroyForcibly();
            sleeper.waitFor(BOUND_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Runs {@link #main} in a second JVM and returns what it printed. */
    private static String attachInAnotherJvm(Path file, int length) {
        try {
            Path out = file.resolveSibling("other.out");
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                    UserEntryTakeoverTest.class.getName(), file.toString(), Integer.toString(length))
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().remove("JDK_JAVA_OPTIONS");
            Process p = pb.start();
            if (!p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "timed out";
            }
            List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "nothing (exit " + p.exitValue() + ")" : String.join("\n", lines);
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    /**
     * The second process: attaches to the table and prints the entry it got, or {@value #FULL} when
     * every entry belongs to a live process.
     *
     * @param args the table's file and length
     */
    public static void main(String[] args) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, Integer.parseInt(args[1]));
            buf.order(ByteOrder.nativeOrder());
            try {
                System.out.println(ShmUsers.attach(buf, args[0]).user());
            } catch (QueueException e) {
                System.out.println(e.getMessage().contains("live processes attached") ? FULL : e.toString());
            }
        }
    }

    private static void put(MappedByteBuffer buf, int user, int field, long value) {
        SharedRing.LONG.setRelease(buf, RingLayout.userOffset(user) + field, value);
    }

    private static long get(MappedByteBuffer buf, int user, int field) {
        return (long) SharedRing.LONG.getAcquire(buf, RingLayout.userOffset(user) + field);
    }
}
