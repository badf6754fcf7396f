package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.codec.Codecs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Journal calls made while another process holds the journal's file lock (and keeps it: a stopped or
 * hung process). Every call that has a deadline or may throw InterruptedException must end by
 * itself: a timed put or get at its timeout, with the contract's timeout outcome; {@code offer} and
 * {@code poll}, which must not wait, at once; a blocking put or get when interrupted, with
 * InterruptedException. None of them may change the journal, and the same handle works once the
 * lock is free.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JournalLockInterruptTest {
    /** Bound of every wait on the child or on a call that should have ended (a failure, not a measure). */
    private static final Duration BOUND = Duration.ofSeconds(60);
    /** The timeout of the timed calls. */
    private static final Duration TIMEOUT = Duration.ofMillis(200);
    /**
     * How late a call may end: after its timeout, after an interrupt, or at all for one that must not
     * wait. The contract says a few milliseconds; this leaves room for a loaded 2-core machine.
     */
    private static final Duration SLACK = Duration.ofMillis(100);

    @TempDir
    Path dir;

    private QueueDescriptor journal(String id, int capacity) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(capacity)
                .withOption("dir", dir.toString());
    }

    @Test
    void aTimedPutAndATimedGetEndAtTheirTimeoutWhileAnotherProcessHoldsTheLock() throws Exception {
        QueueDescriptor d = journal("timed", 10);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<Void> put;
            Outcome<String> get;
            Process child = startLockHolder(lockFile(d));
            try {
                put = awaitEnd(new Outcome<>(() -> {
                    q.put("second", TIMEOUT);
                    return null;
                }));
                get = awaitEnd(new Outcome<>(() -> q.get(TIMEOUT)));
                assertTrue(child.isAlive(), () -> "the lock holder died early: " + read(logOf(lockFile(d))));
                release(child);
            } finally {
                destroy(child);
            }
            assertInstanceOf(QueueFullException.class, put.thrown, () -> "the timed put ended with "
                    + describe(put.thrown));
            assertEndedWithin(put, TIMEOUT, TIMEOUT.plus(SLACK));
            assertInstanceOf(QueueEmptyException.class, get.thrown, () -> "the timed get ended with "
                    + describe(get.thrown) + ", value " + get.value);
            assertEndedWithin(get, TIMEOUT, TIMEOUT.plus(SLACK));
            assertFalse(put.interruptedAfter || get.interruptedAfter, "a timed call set the interrupt flag");
            assertEquals(1, q.size(), "a timed call changed the journal");
            assertEquals(1, q.metrics().rejected(), "the timed-out put was not counted as refused");
            assertEquals(List.of("first"), q.getBatch(10, Duration.ofSeconds(10)));
            q.put("third");
            assertEquals(List.of("third"), q.getBatch(10, Duration.ofSeconds(10)));
            assertEquals(2, q.metrics().puts());
            assertEquals(2, q.metrics().gets());
        }
    }

    @Test
    void offerAndPollDoNotWaitWhileAnotherProcessHoldsTheLock() throws Exception {
        QueueDescriptor d = journal("nowait", 10);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<Boolean> offer;
            Outcome<Optional<String>> poll;
            Process child = startLockHolder(lockFile(d));
            try {
                offer = awaitEnd(new Outcome<>(() -> q.offer("second")));
                poll = awaitEnd(new Outcome<>(q::poll));
                assertTrue(child.isAlive(), () -> "the lock holder died early: " + read(logOf(lockFile(d))));
                release(child);
            } finally {
                destroy(child);
            }
            assertNull(offer.thrown, () -> "offer threw " + describe(offer.thrown));
            assertEquals(Boolean.FALSE, offer.value, "offer appended while another process held the lock");
            assertEndedWithin(offer, Duration.ZERO, SLACK);
            assertNull(poll.thrown, () -> "poll threw " + describe(poll.thrown));
            assertEquals(Optional.empty(), poll.value, "poll took while another process held the lock");
            assertEndedWithin(poll, Duration.ZERO, SLACK);
            assertEquals(1, q.size(), "offer or poll changed the journal");
            assertEquals(List.of("first"), q.getBatch(10, Duration.ofSeconds(10)));
            assertTrue(q.offer("third"));
            assertEquals(Optional.of("third"), q.poll());
            assertEquals(2, q.metrics().puts());
            assertEquals(2, q.metrics().gets());
        }
    }

    @Test
    void aPutInterruptedWhileAnotherProcessHoldsTheLockThrowsInterruptedExceptionAndAppendsNothing()
            throws Exception {
        QueueDescriptor d = journal("put", 10);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<Void> put = interruptWhileWaitingForTheLock(d, () -> {
                q.put("second");
                return null;
            });
            assertInstanceOf(InterruptedException.class, put.thrown, () -> "the put ended with " + describe(put.thrown));
            assertFalse(put.interruptedAfter, "InterruptedException was thrown with the flag still set");
            assertEquals(1, q.size(), "the interrupted put appended");
            q.put("third");
            assertEquals(List.of("first", "third"), q.getBatch(10, Duration.ofSeconds(10)));
            assertEquals(0, q.size());
            assertEquals(2, q.metrics().puts());
        }
    }

    @Test
    void aPutIntoAFullJournalInterruptedWhileWaitingForTheLockThrowsInterruptedExceptionAndAppendsNothing()
            throws Exception {
        QueueDescriptor d = journal("full", 1);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<Void> put = interruptWhileWaitingForTheLock(d, () -> {
                q.put("second");
                return null;
            });
            assertInstanceOf(InterruptedException.class, put.thrown,
                    () -> "the put ended with " + describe(put.thrown));
            assertFalse(put.interruptedAfter, "InterruptedException was thrown with the flag still set");
            assertEquals(1, q.size(), "the interrupted put appended");
            assertEquals("first", q.get(Duration.ofSeconds(10)));
            q.put("third");
            assertEquals(List.of("third"), q.getBatch(10, Duration.ofSeconds(10)));
            assertEquals(0, q.size());
            assertEquals(2, q.metrics().puts());
        }
    }

    @Test
    void aGetInterruptedWhileAnotherProcessHoldsTheLockThrowsInterruptedExceptionAndTakesNothing()
            throws Exception {
        QueueDescriptor d = journal("get", 10);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<String> get = interruptWhileWaitingForTheLock(d, q::get);
            assertInstanceOf(InterruptedException.class, get.thrown,
                    () -> "the get ended with " + describe(get.thrown) + ", value " + get.value);
            assertFalse(get.interruptedAfter, "InterruptedException was thrown with the flag still set");
            assertEquals(1, q.size(), "the interrupted get took");
            assertEquals(0, q.metrics().gets());
            q.put("second");
            assertEquals(List.of("first", "second"), q.getBatch(10, Duration.ofSeconds(10)));
            assertEquals(0, q.size());
            assertEquals(2, q.metrics().gets());
        }
    }

    /**
     * A child process takes the journal's file lock; {@code call} runs on a new thread until it waits
     * for that lock, and is interrupted there. It must end within {@link #SLACK} of the interrupt,
     * while the child still holds the lock; then the child lets go.
     */
    private <R> Outcome<R> interruptWhileWaitingForTheLock(QueueDescriptor d, Callable<R> call) throws Exception {
        Process child = startLockHolder(lockFile(d));
        try {
            Outcome<R> outcome = new Outcome<>(call);
            awaitWaitingForTheLock(outcome.thread);
            long interrupted = System.nanoTime();
            outcome.thread.interrupt();
            awaitEnd(outcome);
            Duration late = Duration.ofNanos(outcome.endNanos - interrupted);
            assertTrue(late.compareTo(SLACK) <= 0, () -> "the call ended " + late.toMillis()
                    + " ms after the interrupt, more than " + SLACK.toMillis());
            assertTrue(child.isAlive(), () -> "the lock holder died early: " + read(logOf(lockFile(d))));
            release(child);
            return outcome;
        } finally {
            destroy(child);
        }
    }

    private static Path lockFile(QueueDescriptor d) {
        return JournalStore.directory(d).resolve(Journal.LOCK_FILE);
    }

    /** Waits for the call's thread to end (a call that hangs fails here, naming itself). */
    private static <R> Outcome<R> awaitEnd(Outcome<R> outcome) throws InterruptedException {
        outcome.thread.join(BOUND.toMillis());
        if (outcome.thread.isAlive()) {
            AssertionError e = new AssertionError("the call did not end within " + BOUND
                    + " while another process held the lock; it was at:");
            e.setStackTrace(outcome.thread.getStackTrace());
            throw e;
        }
        return outcome;
    }

    private static void assertEndedWithin(Outcome<?> outcome, Duration min, Duration max) {
        Duration took = Duration.ofNanos(outcome.endNanos - outcome.startNanos);
        assertTrue(took.compareTo(min) >= 0 && took.compareTo(max) <= 0, () -> "the call took " + took.toMillis()
                + " ms, not between " + min.toMillis() + " and " + max.toMillis());
    }

    private static void destroy(Process child) throws InterruptedException {
        child.destroyForcibly();
        child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS);
    }

    private static Path logOf(Path lockFile) {
        return lockFile.resolveSibling("lock-holder.log");
    }

    /** Starts a {@link LockHolder} and waits until it holds the lock. */
    private static Process startLockHolder(Path lockFile) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), lockFile.toString())
                .redirectError(logOf(lockFile).toFile());
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process child = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            assertEquals(LockHolder.LOCKED, first.get(BOUND.toSeconds(), TimeUnit.SECONDS),
                    () -> "lock holder: " + read(logOf(lockFile)));
        } catch (TimeoutException e) {
            child.destroyForcibly();
            throw new AssertionError("the lock holder did not take the lock within " + BOUND + ": "
                    + read(logOf(lockFile)), e);
        } catch (AssertionError | RuntimeException e) {
            child.destroyForcibly();
            throw e;
        }
        return child;
    }

    /** Tells the child to let go of the lock and waits for it to end. */
    private static void release(Process child) throws Exception {
        OutputStream in = child.getOutputStream();
        in.write((LockHolder.RELEASE + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertTrue(child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the lock holder did not end");
        assertEquals(0, child.exitValue());
    }

    /**
     * Waits until the thread waits for the journal's locks: parked under {@code Journal.locked}, or
     * (as before, a wait that an interrupt did not end) in the native {@code FileChannel.lock}.
     */
    private static void awaitWaitingForTheLock(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!inLockWait(t)) {
            assertTrue(t.isAlive(), "the call ended before waiting for the lock");
            assertTrue(System.nanoTime() < deadline, "the call did not wait for the lock within " + BOUND);
            Thread.sleep(5);
        }
    }

    private static boolean inLockWait(Thread t) {
        Thread.State state = t.getState();
        StackTraceElement[] stack = t.getStackTrace();
        boolean blocked = state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING
                || stack.length > 0 && stack[0].isNativeMethod() && stack[0].getMethodName().equals("lock0");
        if (!blocked) {
            return false;
        }
        for (StackTraceElement e : stack) {
            if (e.getClassName().equals(Journal.class.getName()) && e.getMethodName().equals("locked")) {
                return true;
            }
        }
        return false;
    }

    /** An exception and its causes, one line. */
    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder(String.valueOf(e));
        for (Throwable c = e == null ? null : e.getCause(); c != null; c = c.getCause()) {
            b.append(" caused by ").append(c);
        }
        return b.toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A call made on its own thread, and how it ended. */
    private static final class Outcome<R> {
        final Thread thread;
        volatile R value;
        volatile Throwable thrown;
        volatile boolean interruptedAfter;
        volatile long startNanos;
        volatile long endNanos;

        Outcome(Callable<R> call) {
            thread = new Thread(() -> {
                startNanos = System.nanoTime();
                try {
                    value = call.call();
                } catch (Throwable e) {
                    thrown = e;
                }
                endNanos = System.nanoTime();
                interruptedAfter = Thread.currentThread().isInterrupted();
            }, "journal-call");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * The second JVM: {@code main(lockFile)} takes the whole file's lock, prints {@value #LOCKED},
     * and holds it until it reads {@value #RELEASE} (or its input ends, or it is killed).
     */
    static final class LockHolder {
        static final String LOCKED = "locked";
        static final String RELEASE = "release";

        private LockHolder() {
        }

        public static void main(String[] args) throws IOException {
            try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileLock lock = ch.lock()) {
                System.out.println(LOCKED);
                System.out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null && !line.equals(RELEASE); line = in.readLine()) {
                    // wait for the word
                }
            }
        }
    }
}
