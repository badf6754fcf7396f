package dev.conduit.queue.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the figures were measured on: processor, cores, JVM, operating system, and how busy the
 * machine was. Immutable.
 *
 * @param cpu the processor model, or "unknown"
 * @param cores the processors available to the JVM
 * @param jvm the JVM's name and version
 * @param os the operating system and architecture
 * @param loadAverage the one-minute load average when taken, negative if unknown
 */
record MachineInfo(String cpu, int cores, String jvm, String os, double loadAverage) {

    /** @return this machine, now */
    static MachineInfo current() {
        return new MachineInfo(cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                        + " (" + System.getProperty("java.vm.vendor") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                currentLoadAverage());
    }

    /**
     * Describes the machine for a report.
     *
     * @param loadAtEnd the load average when the run ended, negative if unknown
     * @return cores, processor, JVM, operating system and the load at the start and the end
     */
    String describe(double loadAtEnd) {
        return cores + " cores (" + cpu + "), " + jvm + ", " + os + "; load average " + load(loadAverage)
                + " at the start, " + load(loadAtEnd) + " at the end";
    }

    /** @return whether the load at the start or {@code loadAtEnd} exceeded half the cores */
    boolean wasBusy(double loadAtEnd) {
        return loadAverage > cores / 2.0 || loadAtEnd > cores / 2.0;
    }

    private static String load(double load) {
        return load < 0 ? "unknown" : String.format(java.util.Locale.ROOT, "%.2f", load);
    }

    /** @return the one-minute load average now, negative if the platform does not say */
    static double currentLoadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String cpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return "unknown";
        }
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
