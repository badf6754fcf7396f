package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A put refused while another process holds the journal's lock is counted later, under the lock
 * (counting it must not wait). Closing the handle is that later: a process whose last call was the
 * refused put must still leave the count in the state file, for every other process's metrics().
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JournalRejectedOnCloseTest {
    /** Bound of every wait on the child (a failure, not a measure). */
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private QueueDescriptor journal(String id) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(10)
                .withOption("dir", dir.toString());
    }

    @Test
    void aPutRefusedWhileAnotherProcessHeldTheLockIsCountedWhenItsHandleCloses() throws Exception {
        QueueDescriptor d = journal("refused");
        Path lockFile = JournalStore.directory(d).resolve(Journal.LOCK_FILE);
        Path log = dir.resolve("child.log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:+UseSerialGC"));
        command.addAll(List.of(ChronicleFlags.commandLine().split(" ")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Refuser.class.getName(),
                dir.toString(), "refused"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(log.toFile());
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process child = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            OutputStream in = child.getOutputStream();
            assertEquals(Refuser.OPENED, line(out, log));
            // This process holds the lock (it has no journal handle of its own yet: a file lock is
            // per process, and closing any channel on the file would drop it).
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileLock held = ch.lock()) {
                say(in, Refuser.OFFER);
                assertEquals("false", line(out, log), "the child's offer was not refused while the lock was held");
            }
            say(in, Refuser.CLOSE);
            assertEquals(Refuser.CLOSED, line(out, log));
            // The child is still alive: only its close can have written the count.
            assertTrue(child.isAlive(), () -> "the child ended early: " + read(log));
            try (MessageQueue<String> q = d.open(Codecs.string())) {
                assertEquals(1, q.metrics().rejected(), "the refused put was not counted by its handle's close");
                assertEquals(0, q.size());
            }
            say(in, Refuser.EXIT);
            assertTrue(child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the child did not end");
            assertEquals(0, child.exitValue(), () -> read(log));
        } finally {
            child.destroyForcibly();
            child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void closingAHandleDoesNotWaitForALockAnotherProcessKeeps() throws Exception {
        QueueDescriptor d = journal("kept");
        Path lockFile = JournalStore.directory(d).resolve(Journal.LOCK_FILE);
        MessageQueue<String> q = d.open(Codecs.string());
        MessageQueue<String> other = d.open(Codecs.string());
        try {
            assertEquals(0, q.size()); // opens the journal (a handle may open it at its first call)
            assertEquals(0, other.size());
            Process child = startLockHolder(lockFile);
            long took;
            try {
                assertEquals(false, q.offer("refused"));
                long start = System.nanoTime();
                q.close();
                took = System.nanoTime() - start;
                assertTrue(child.isAlive());
                release(child);
            } finally {
                child.destroyForcibly();
                child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS);
            }
            assertTrue(took < TimeUnit.MILLISECONDS.toNanos(500), () -> "close took " + took / 1_000_000
                    + " ms while another process kept the lock");
            // The count was not lost: this process's next call under the lock adds it.
            assertEquals(1, other.metrics().rejected());
        } finally {
            other.close();
        }
    }

    private static Process startLockHolder(Path lockFile) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                JournalLockInterruptTest.LockHolder.class.getName(), lockFile.toString())
                .redirectError(lockFile.resolveSibling("lock-holder.log").toFile());
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process child = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        try {
            assertEquals(JournalLockInterruptTest.LockHolder.LOCKED,
                    line(out, lockFile.resolveSibling("lock-holder.log")));
        } catch (AssertionError | RuntimeException e) {
            child.destroyForcibly();
            throw e;
        }
        return child;
    }

    private static void release(Process child) throws Exception {
        say(child.getOutputStream(), JournalLockInterruptTest.LockHolder.RELEASE);
        assertTrue(child.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the lock holder did not end");
    }

    private static void say(OutputStream in, String word) throws IOException {
        in.write((word + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    private static String line(BufferedReader out, Path log) throws Exception {
        CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return e.toString();
            }
        });
        String said;
        try {
            said = next.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the child said nothing within " + BOUND + ": " + read(log), e);
        }
        if (said == null) {
            throw new AssertionError("the child ended: " + read(log));
        }
        return said;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /**
     * The second JVM: {@code main(dir, id)} opens the journal and prints {@value #OPENED}; on
     * {@value #OFFER} offers one item and prints the answer; on {@value #CLOSE} closes its handle and
     * prints {@value #CLOSED}; it ends on {@value #EXIT} (or when its input ends).
     */
    static final class Refuser {
        static final String OPENED = "opened";
        static final String OFFER = "offer";
        static final String CLOSE = "close";
        static final String CLOSED = "closed";
        static final String EXIT = "exit";

        private Refuser() {
        }

        public static void main(String[] args) throws Exception {
            QueueDescriptor d = QueueDescriptor.of("journal", args[1]).withNamespace("j").withCapacity(10)
                    .withOption("dir", args[0]);
            MessageQueue<String> q = d.open(Codecs.string());
            q.size(); // opens the journal (a handle may open it at its first call)
            System.out.println(OPENED);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals(EXIT); line = in.readLine()) {
                if (line.equals(OFFER)) {
                    System.out.println(q.offer("refused"));
                } else if (line.equals(CLOSE)) {
                    q.close();
                    System.out.println(CLOSED);
                }
                System.out.flush();
            }
            // Exit without any further journal call; halt skips shutdown hooks, as a crash would.
            Runtime.getRuntime().halt(0);
        }
    }
}
