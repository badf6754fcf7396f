package dev.conduit.queue.rpc;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class of this module's class path in a new JVM, its output to a log file. */
final class ChildJvm {
    private ChildJvm() {
    }

    static Process start(Path log, Class<?> main, String... args) throws IOException {
        return start(log, List.of(), main, args);
    }

    static Process start(Path log, List<String> jvmArgs, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        File out = log.toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).start();
    }
}
