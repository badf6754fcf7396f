package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The users table names a process by its start time in clock ticks since boot where the host has
 * {@code /proc}, so that a step of the wall clock does not make a live process read as dead.
 * {@link ProcessHandle}'s start instant is {@code /proc/stat}'s {@code btime}, read once per JVM,
 * plus those ticks; {@code btime} moves when the wall clock is stepped, so a JVM started after a
 * step computes, for a process started before it, a start instant as far off as the step. The
 * clock cannot be stepped here: the entries below carry the start instant such a JVM would have
 * recorded (5 s off), or a different tick count (a reused pid), and the start ticks are read from
 * real {@code /proc} entries, one of a process whose name holds {@code ") "}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StartTicksIdentityTest {
    private static final long BOUND_SECONDS = 30;
    /** How far a stepped JVM's start instant for another process is off. */
    private static final long STEP_MILLIS = 5_000;
    /** A name that a parser counting fields from the first ')' or by splitting on spaces misreads. */
    private static final String TRICKY_NAME = ") Z 1 (2) x";

    @TempDir
    Path dir;

    private Process child;
    private ByteBuffer buf;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "stat")),
                "this host has no /proc: the start ticks are not recorded and the start instant decides");
        Path sleep = Path.of("/usr/bin/sleep");
        if (!Files.isExecutable(sleep)) {
            sleep = Path.of("/bin/sleep");
        }
        // The kernel names a process after the file it executed: here, a link with a tricky name.
        Path link = Files.createSymbolicLink(dir.resolve(TRICKY_NAME), sleep);
        child = new ProcessBuilder(link.toString(), "600").start();
        buf = ByteBuffer.allocateDirect(RingLayout.userOffset(RingLayout.MAX_USERS)).order(ByteOrder.nativeOrder());
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(BOUND_SECONDS, TimeUnit.SECONDS);
        }
    }

    @Test
    void startTicksAreField22OfProcStatEvenWhenTheNameHoldsParentheses() throws Exception {
        String comm = Files.readString(Path.of("/proc", Long.toString(child.pid()), "comm"),
                StandardCharsets.ISO_8859_1).strip();
        assertEquals(TRICKY_NAME, comm, "the child runs under the tricky name");
        long clockTicks = Long.parseLong(run("getconf", "CLK_TCK"));
        long bootMillis = bootTimeSeconds() * 1000;
        for (ProcessHandle p : new ProcessHandle[] {child.toHandle(), ProcessHandle.current()}) {
            long ticks = ShmUsers.startTicks(p.pid());
            long instant = p.info().startInstant().orElseThrow().toEpochMilli();
            // The JDK's own computation on Linux: btime (whole seconds) + ticks * 1000 / CLK_TCK.
            assertTrue(Math.abs(bootMillis + ticks * 1000 / clockTicks - instant) <= 20,
                    "pid " + p.pid() + ": ticks " + ticks + " agree with the start instant " + instant);
        }
        assertNotEquals(ShmUsers.startTicks(child.pid()), ShmUsers.startTicks(ProcessHandle.current().pid()),
                "two processes started apart have different ticks");
    }

    @Test
    void startTicksParserCountsFromTheLastParenthesis() {
        StringBuilder fields = new StringBuilder();
        for (int f = 3; f <= 52; f++) {
            fields.append(' ').append(f == 3 ? "S" : f == 22 ? "987654321" : Integer.toString(f));
        }
        assertAll(
                () -> assertEquals(987654321L, ShmUsers.startTicks("4242 (" + TRICKY_NAME + ")" + fields + "\n")),
                () -> assertEquals(987654321L, ShmUsers.startTicks("4242 ( ) ) ( ))" + fields)),
                () -> assertEquals(0, ShmUsers.startTicks("4242 (sleep) S 1 2 3"), "too few fields"),
                () -> assertEquals(0, ShmUsers.startTicks("no parenthesis at all"), "not a stat line"),
                () -> assertEquals(0, ShmUsers.startTicks(-1), "no such process"));
    }

    @Test
    void aLiveProcessWhoseRecordedStartInstantIsSecondsOffReadsAliveByItsTicks() {
        long start = child.info().startInstant().orElseThrow().toEpochMilli();
        entry(3, child.pid(), start - STEP_MILLIS, 7, ShmUsers.startTicks(child.pid()), 7);
        ShmUsers mine = ShmUsers.attach(buf, "test");
        assertAll(
                () -> assertTrue(mine.isAlive(RingLayout.tag(0, 3, 7)), "its tag names a live process"),
                () -> assertEquals(2, ShmUsers.liveAttached(buf), "it and this process are attached and alive"));
    }

    @Test
    void aReusedPidReadsDeadByItsTicksThoughTheStartInstantMatches() {
        long start = child.info().startInstant().orElseThrow().toEpochMilli();
        entry(3, child.pid(), start, 7, ShmUsers.startTicks(child.pid()) + 1, 7);
        ShmUsers mine = ShmUsers.attach(buf, "test");
        assertAll(
                () -> assertFalse(mine.isAlive(RingLayout.tag(0, 3, 7)), "its tag names a dead process"),
                () -> assertEquals(1, ShmUsers.liveAttached(buf), "only this process is alive"));
    }

    @Test
    void withoutRecordedTicksTheStartInstantDecides() {
        long start = child.info().startInstant().orElseThrow().toEpochMilli();
        long ticks = ShmUsers.startTicks(child.pid());
        entry(1, child.pid(), start, 4, 0, 0); // a file written before the ticks were recorded
        entry(2, child.pid(), start, 9, ticks + 1, 8); // taken over by an older Conduit (generation 8 -> 9)
        entry(3, child.pid(), start - STEP_MILLIS, 7, 0, 0); // no ticks, start instant off: read as reused
        ShmUsers mine = ShmUsers.attach(buf, "test");
        assertAll(
                () -> assertTrue(mine.isAlive(RingLayout.tag(0, 1, 4)), "no ticks, matching start"),
                () -> assertTrue(mine.isAlive(RingLayout.tag(0, 2, 9)), "another generation's ticks are ignored"),
                () -> assertFalse(mine.isAlive(RingLayout.tag(0, 3, 7)), "no ticks, start off"));
    }

    @Test
    void anEndedProcessWithRecordedTicksReadsDead() throws Exception {
        long start = child.info().startInstant().orElseThrow().toEpochMilli();
        long ticks = ShmUsers.startTicks(child.pid());
        child.destroyForcibly();
        assertTrue(child.waitFor(BOUND_SECONDS, TimeUnit.SECONDS));
        entry(3, child.pid(), start, 7, ticks, 7);
        ShmUsers mine = ShmUsers.attach(buf, "test");
        assertFalse(mine.isAlive(RingLayout.tag(0, 3, 7)));
    }

    @Test
    void attachRecordsThisProcessTicksForItsGeneration() {
        ShmUsers mine = ShmUsers.attach(buf, "test");
        long me = ProcessHandle.current().pid();
        assertAll(
                () -> assertEquals(me, get(mine.user(), RingLayout.USER_PID)),
                () -> assertEquals(ShmUsers.startTicks(me), get(mine.user(), RingLayout.USER_START_TICKS)),
                () -> assertNotEquals(0, get(mine.user(), RingLayout.USER_START_TICKS)),
                () -> assertEquals(mine.generation(), get(mine.user(), RingLayout.USER_TICKS_GENERATION)),
                () -> assertTrue(mine.isAlive(RingLayout.tag(0, mine.user(), mine.generation()))));
    }

    private void entry(int user, long pid, long startMillis, long generation, long ticks, long ticksGeneration) {
        put(user, RingLayout.USER_START, startMillis);
        put(user, RingLayout.USER_GENERATION, generation);
        put(user, RingLayout.USER_START_TICKS, ticks);
        put(user, RingLayout.USER_TICKS_GENERATION, ticksGeneration);
        put(user, RingLayout.USER_ATTACHED, 1);
        put(user, RingLayout.USER_PID, pid);
    }

    private void put(int user, int field, long value) {
        SharedRing.LONG.setRelease(buf, RingLayout.userOffset(user) + field, value);
    }

    private long get(int user, int field) {
        return (long) SharedRing.LONG.getAcquire(buf, RingLayout.userOffset(user) + field);
    }

    private static long bootTimeSeconds() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.ISO_8859_1)) {
            if (line.startsWith("btime ")) {
                return Long.parseLong(line.substring(6).trim());
            }
        }
        throw new IllegalStateException("no btime in /proc/stat");
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), String.join(" ", command) + " ended");
        return out;
    }
}
