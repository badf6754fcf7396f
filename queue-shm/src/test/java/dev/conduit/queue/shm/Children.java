package dev.conduit.queue.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts {@link ShmTestProcess} in real second JVMs with the test class path, and kills them all on close. */
final class Children implements AutoCloseable {
    private final List<Process> started = new ArrayList<>();
    private final Path logs;

    Children(Path logs) {
        this.logs = logs;
    }

    Process start(String... args) throws IOException {
        return startWith(Path.of(System.getProperty("java.home"), "bin", "java"), List.of(), args);
    }

    /** Starts a child on a chosen {@code java} binary with extra JVM flags. */
    Process startWith(Path java, List<String> jvmFlags, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmFlags);
        cmd.add("-Xmx128m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-Dconduit.shm.dir=" + System.getProperty("conduit.shm.dir", ShmFile.defaultDir().toString()));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ShmTestProcess.class.getName());
        cmd.addAll(List.of(args));
        Files.createDirectories(logs);
        Path log = logs.resolve("child-" + started.size() + "-" + args[0] + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        // Only the flags given here: surefire sets JDK_JAVA_OPTIONS for the conformance suite's children.
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** Kills with SIGKILL and reaps, so that the pid is really gone. */
    static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    static int await(Process p, long seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            kill9(p);
            throw new AssertionError("child " + p.pid() + " did not finish within " + seconds + " s");
        }
        return p.exitValue();
    }

    String logOf(int index) {
        try (var files = Files.list(logs)) {
            return files.filter(f -> f.getFileName().toString().startsWith("child-" + index + "-"))
                    .findFirst().map(f -> {
                        try {
                            return Files.readString(f);
                        } catch (IOException e) {
                            return e.toString();
                        }
                    }).orElse("");
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                kill9(p);
            }
        }
    }
}
