package dev.conduit.queue.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the built {@code conduit.jar} as a user does: {@code java -jar conduit.jar ARGS} in a new
 * process, with a time limit after which the process is killed and the test fails. The jar is
 * system property {@code conduit.jar} (set by failsafe) or {@code target/conduit.jar}.
 */
final class ConduitProcess {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Path JAR = Path.of(System.getProperty("conduit.jar", "target/conduit.jar"));

    private ConduitProcess() {
    }

    /** What a finished command left behind. */
    record Result(List<String> command, int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** @return standard output parsed as JSON (its last line: progress may come first) */
        JsonNode json() {
            List<String> lines = out().lines().filter(l -> !l.isBlank()).toList();
            assertFalse(lines.isEmpty(), () -> "no output from " + this);
            try {
                return JSON.readTree(lines.get(lines.size() - 1));
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + lines.get(lines.size() - 1) + " from " + this, e);
            }
        }

        /** Asserts the error output is one line without a stack trace. */
        void assertOneLineError() {
            List<String> lines = stderr.lines().filter(l -> !l.isBlank()).toList();
            assertTrue(lines.size() == 1 && lines.get(0).startsWith("conduit: ") && !stderr.contains("\tat "),
                    () -> "expected one 'conduit: ...' line on stderr, got: " + this);
        }

        @Override
        public String toString() {
            return String.join(" ", command.subList(command.indexOf("-jar") + 2, command.size())) + " -> exit " + exit
                    + "\nstdout: " + out()
                    + "\nstderr: " + stderr;
        }
    }

    /** @return the command line that runs the jar with these arguments */
    static List<String> command(String... args) {
        assertTrue(Files.isRegularFile(JAR), "build the jar first (mvn -pl queue-cli package): " + JAR.toAbsolutePath());
        List<String> cmd = new ArrayList<>(List.of(javaExecutable(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Runs the command to its end.
     *
     * @param limit how long it may take; then it is killed and the test fails
     * @param stdin what the process reads, or null for nothing
     * @param args the arguments
     * @return what it printed and its exit code
     */
    static Result run(Duration limit, byte[] stdin, String... args) {
        return runCommand(command(args), limit, stdin);
    }

    /**
     * Runs the jar in a JVM with these options ({@code -Xmx256m}, ...), to its end within 60 s.
     *
     * @param jvmOptions options before {@code -jar}
     * @param args the arguments
     * @return what it printed and its exit code
     */
    static Result runWithJvmOptions(List<String> jvmOptions, String... args) {
        List<String> cmd = command(args);
        cmd.addAll(1, jvmOptions);
        return runCommand(cmd, Duration.ofSeconds(60), null);
    }

    private static Result runCommand(List<String> cmd, Duration limit, byte[] stdin) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("RAY_ADDRESS");
        Process p = null;
        try {
            p = pb.start();
            CompletableFuture<byte[]> out = drain(p.getInputStream());
            CompletableFuture<byte[]> err = drain(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            }
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(String.join(" ", cmd) + " did not finish within " + limit);
            }
            return new Result(cmd, p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    /** Runs a command that should end within 60 s, with no input. */
    static Result run(String... args) {
        return run(Duration.ofSeconds(60), null, args);
    }

    /**
     * Starts a long-running command (serve); the caller stops it in a finally block.
     *
     * @param log where its standard output and error go
     * @param args the arguments
     * @return the process
     */
    static Process start(Path log, String... args) throws IOException {
        return new ProcessBuilder(command(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Kills a process and waits a little for it to go. */
    static void kill(Process p) {
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads a stream to its end on a thread of its own (the common pool may have one thread). */
    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, task -> {
            Thread t = new Thread(task, "conduit-output-reader");
            t.setDaemon(true);
            t.start();
        });
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
