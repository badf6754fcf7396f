package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
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
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal call interrupted while it waits for the file lock that another process holds.
 * {@code FileChannel.lock()} answers such an interrupt by closing the channel and throwing
 * {@code FileLockInterruptionException} (JDK 17 and 25 alike). The call must then do what
 * {@link JournalStore}'s wait loop promises for an interrupt: it takes the lock once it is free,
 * then either completes, leaving the thread's interrupt flag set, or, where it would wait on (a
 * full journal), throws {@code InterruptedException}; and the same handle keeps working.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JournalLockInterruptTest {
    /** Bound of every wait on the child or on the blocked thread. */
    private static final Duration BOUND = Duration.ofSeconds(60);
    /** How long the interrupted call is watched while the child still holds the lock. */
    private static final Duration WATCH = Duration.ofMillis(500);

    @TempDir
    Path dir;

    private QueueDescriptor journal(String id, int capacity) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(capacity)
                .withOption("dir", dir.toString());
    }

    @Test
    void aPutInterruptedWhileAnotherProcessHoldsTheLockAppendsOnceTheLockIsFreeAndKeepsTheFlag() throws Exception {
        QueueDescriptor d = journal("put", 10);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<Void> put = interruptWhileWaitingForTheLock(d, () -> {
                q.put("second");
                return null;
            });
            assertNull(put.thrown, () -> "the put failed: " + describe(put.thrown));
            assertTrue(put.interruptedAfter, "the put completed but dropped the interrupt");
            q.put("third");
            assertEquals(List.of("first", "second", "third"), q.getBatch(10, Duration.ofSeconds(10)));
            assertEquals(0, q.size());
            assertEquals(3, q.metrics().puts());
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
    void aGetInterruptedWhileWaitingForTheLockTakesTheItemAndKeepsTheFlag() throws Exception {
        QueueDescriptor d = journal("get", 10);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("first");
            Outcome<String> get = interruptWhileWaitingForTheLock(d, q::get);
            assertNull(get.thrown, () -> "the get failed: " + describe(get.thrown));
            assertEquals("first", get.value);
            assertTrue(get.interruptedAfter, "the get completed but dropped the interrupt");
            q.put("second");
            assertEquals(List.of("second"), q.getBatch(10, Duration.ofSeconds(10)));
            assertEquals(0, q.size());
            assertEquals(2, q.metrics().gets());
        }
    }

    /**
     * A child process takes the journal's file lock; {@code call} runs on a new thread until it waits
     * for that lock, is interrupted there, and must still be waiting while the child holds the lock;
     * then the child lets go and the call ends.
     */
    private <R> Outcome<R> interruptWhileWaitingForTheLock(QueueDescriptor d, Callable<R> call) throws Exception {
        Path lockFile = JournalStore.directory(d).resolve(Journal.LOCK_FILE);
        Process child = startLockHolder(lockFile);
        try {
            Outcome<R> outcome = new Outcome<>(call);
            awaitWaitingForTheFileLock(outcome.thread);
            outcome.thread.interrupt();
            outcome.thread.join(WATCH.toMillis());
            assertTrue(outcome.thread.isAlive(), () -> "the call ended while the child still held the lock: "
                    + describe(outcome.thrown));
            assertTrue(inFileLockWait(outcome.thread), "the interrupted call is not waiting for the lock again");
            assertTrue(child.isAlive(), () -> "the lock holder died early: " + read(logOf(lockFile)));
            release(child);
            outcome.thread.join(BOUND.toMillis());
            assertFalse(outcome.thread.isAlive(), "the call did not end within " + BOUND + " of the lock's release");
            return outcome;
        } finally {
            child.destroyForcibly();
            child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
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

    /** Waits until the thread sits in the native file-lock wait ({@code lock0}, under {@code FileChannel.lock}). */
    private static void awaitWaitingForTheFileLock(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!inFileLockWait(t)) {
            assertTrue(t.isAlive(), "the call ended before waiting for the lock");
            assertTrue(System.nanoTime() < deadline, "the call did not wait for the file lock within " + BOUND);
            Thread.sleep(5);
        }
    }

    private static boolean inFileLockWait(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        if (stack.length == 0 || !stack[0].isNativeMethod() || !stack[0].getMethodName().equals("lock0")) {
            return false;
        }
        for (StackTraceElement e : stack) {
            if (e.getClassName().equals("sun.nio.ch.FileChannelImpl") && e.getMethodName().equals("lock")) {
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

        Outcome(Callable<R> call) {
            thread = new Thread(() -> {
                try {
                    value = call.call();
                } catch (Throwable e) {
                    thrown = e;
                }
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
