package dev.conduit.queue.reliability;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts main classes of this JVM's class path in new JVMs (real processes, each with its output
 * in a log file), kills them with SIGKILL on demand, and kills every one still alive on
 * {@link #close()}. Children get this JVM's module flags ({@code --add-opens}, {@code --add-exports})
 * and {@code -Dchronicle.*} properties, so a child can run whatever this JVM can (the durable
 * journal needs such flags). Not thread-safe: one thread drives the children.
 */
public final class ChildJvms implements AutoCloseable {
    private final List<Process> started = new ArrayList<>();
    private final Path logs;

    /**
     * @param logs the directory for the children's logs (created when needed)
     */
    public ChildJvms(Path logs) {
        this.logs = logs;
    }

    /**
     * Starts {@code main} in a new JVM.
     *
     * @param main the class whose {@code main} to run
     * @param jvmFlags extra JVM flags
     * @param args its arguments
     * @return the process; its output goes to a log named after the child's number and class
     * @throws IOException when the JVM cannot be started
     */
    public Process start(Class<?> main, List<String> jvmFlags, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(inheritedFlags());
        cmd.addAll(jvmFlags);
        cmd.add("-Xmx128m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Files.createDirectories(logs);
        Path log = logs.resolve("child-" + started.size() + "-" + main.getSimpleName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        // Only the flags chosen here: a JDK_JAVA_OPTIONS of the parent's environment would add more.
        pb.environment().remove("JDK_JAVA_OPTIONS");
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /**
     * Kills a child with SIGKILL, as a crash would, and reaps it so that its pid is really gone.
     *
     * @param p the child
     * @throws InterruptedException if interrupted while reaping
     */
    public static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Waits for a child to exit.
     *
     * @param p the child
     * @param seconds how long to wait before killing it
     * @return its exit code
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException when it did not exit in time (it is then killed)
     */
    public static int await(Process p, long seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            kill9(p);
            throw new IllegalStateException("child " + p.pid() + " did not exit within " + seconds + " s");
        }
        return p.exitValue();
    }

    /** Kills every child still alive. */
    @Override
    public void close() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                kill9(p);
            }
        }
    }

    private static List<String> inheritedFlags() {
        List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            String a = in.get(i);
            if ((a.equals("--add-opens") || a.equals("--add-exports")) && i + 1 < in.size()) {
                out.add(a);
                out.add(in.get(++i));
            } else if (a.startsWith("--add-opens=") || a.startsWith("--add-exports=") || a.startsWith("-Dchronicle.")) {
                out.add(a);
            }
        }
        return out;
    }
}
