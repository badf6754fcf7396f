package dev.conduit.queue.tck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running a {@code main} class from this test class path: the real process that
 * cross-process checks need. Its standard output and error go to a log file (the test JVM's own
 * standard output belongs to the test runner), which {@link #output()} reads back for failure
 * messages. Always {@link #close()} it, in a {@code finally} block or try-with-resources, so no child
 * outlives its test.
 *
 * <p>Not thread-safe; use from the thread that started it.
 */
public final class JavaProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JavaProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code main} in a new JVM with this JVM's class path and at most 256 MB of heap.
     *
     * @param main a class with a {@code public static void main(String[])}
     * @param args its arguments
     * @return the running process
     * @throws IOException if the JVM cannot be started
     */
    public static JavaProcess start(Class<?> main, String... args) throws IOException {
        Path log = Files.createTempFile("conduit-" + main.getSimpleName() + "-", ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new JavaProcess(p, log);
    }

    /**
     * Waits for the process to end.
     *
     * @param seconds the longest wait
     * @return its exit code
     * @throws InterruptedException if interrupted while waiting
     * @throws AssertionError if it did not end in time (it is then killed)
     */
    public int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("child JVM did not exit within " + seconds + " s; its output:\n" + output());
        }
        return process.exitValue();
    }

    /** @return what the process has printed so far, or a note if the log cannot be read */
    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log " + log + " unreadable: " + e + ")";
        }
    }

    /** Kills the process if it still runs and deletes its log. Idempotent. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // A leftover temp file is harmless.
        }
    }
}
