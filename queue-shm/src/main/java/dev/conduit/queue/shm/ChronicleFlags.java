package dev.conduit.queue.shm;

import dev.conduit.queue.QueueException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags Chronicle Queue needs on Java 17 and later, and the check that they were given,
 * made before any Chronicle class loads so that a missing flag is a clear message instead of an
 * {@code InaccessibleObjectException} deep inside Chronicle. Thread-safe (stateless).
 */
final class ChronicleFlags {
    /** {@code module/package} pairs Chronicle reads reflectively: {@code --add-opens}. */
    static final List<String> OPENS = List.of("java.base/java.lang", "java.base/java.lang.reflect",
            "java.base/java.io", "java.base/java.util", "java.base/java.nio", "java.base/sun.nio.ch",
            "jdk.compiler/com.sun.tools.javac");
    /** {@code module/package} pairs Chronicle links against: {@code --add-exports}. */
    static final List<String> EXPORTS = List.of("java.base/jdk.internal.ref", "java.base/sun.nio.ch",
            "jdk.unsupported/sun.misc", "jdk.compiler/com.sun.tools.javac.file");
    /** The probe class: in Chronicle's module (the unnamed one on the class path). */
    static final String PROBE = "net.openhft.chronicle.queue.ChronicleQueue";

    private ChronicleFlags() {
    }

    /** @return the command-line flags, one string */
    static String commandLine() {
        StringBuilder b = new StringBuilder("-Dchronicle.analytics.disable=true");
        for (String e : EXPORTS) {
            b.append(" --add-exports=").append(e).append("=ALL-UNNAMED");
        }
        for (String o : OPENS) {
            b.append(" --add-opens=").append(o).append("=ALL-UNNAMED");
        }
        return b.toString();
    }

    /** @return whether chronicle-queue is on the class path */
    static boolean chronicleOnClassPath() {
        try {
            Class.forName(PROBE, false, ChronicleFlags.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Turns Chronicle's telemetry off (unless the user set the property) and checks the flags.
     *
     * @throws QueueException naming the artifact when Chronicle is missing, or listing every flag
     *     when one is missing
     */
    static void check() {
        if (System.getProperty("chronicle.analytics.disable") == null) {
            System.setProperty("chronicle.analytics.disable", "true");
        }
        Class<?> probe;
        try {
            probe = Class.forName(PROBE, false, ChronicleFlags.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new QueueException("the durable journal (type 'journal', or shm with durable=true) needs "
                    + "net.openhft:chronicle-queue on the class path; add it to your dependencies", e);
        }
        Module chronicle = probe.getModule();
        List<String> missing = new ArrayList<>();
        for (String o : OPENS) {
            Module m = module(o);
            if (m != null && !m.isOpen(pkg(o), chronicle)) {
                missing.add("--add-opens=" + o + "=ALL-UNNAMED");
            }
        }
        for (String e : EXPORTS) {
            Module m = module(e);
            if (m != null && !m.isExported(pkg(e), chronicle)) {
                missing.add("--add-exports=" + e + "=ALL-UNNAMED");
            }
        }
        if (!missing.isEmpty()) {
            throw new QueueException("the durable journal runs on Chronicle Queue, which needs these JVM flags on "
                    + "Java " + Runtime.version().feature() + ": " + commandLine() + " (missing: "
                    + String.join(" ", missing) + "); see docs/shm.md");
        }
    }

    private static Module module(String pair) {
        return ModuleLayer.boot().findModule(pair.substring(0, pair.indexOf('/'))).orElse(null);
    }

    private static String pkg(String pair) {
        return pair.substring(pair.indexOf('/') + 1);
    }
}
