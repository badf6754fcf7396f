package dev.conduit.queue.ray;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.reliability.SoakWorkload;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The soak of the ray backend: queue-reliability's {@link SoakWorkload} (the mixed workload of
 * {@code scripts/soak.sh}: puts with priorities, batches, transactions, gets, batch gets, peeks,
 * size, metrics; 2 producer and 2 consumer threads) against a {@code ray} queue whose actor lives on
 * the cluster's second node, driven from this JVM on the head. Every interval it prints items/s,
 * this driver's heap after a full GC and RSS, and the summed RSS of the cluster's Java workers (the
 * queue's actor among them); at the end the verdict: nothing lost or duplicated, heap flat.
 *
 * <pre>
 *   scripts/ray-cluster.sh soak --seconds 600        # install + up + this + down
 * </pre>
 *
 * Settings: {@code -Dconduit.soak.seconds} (600), {@code -Dconduit.soak.interval} (10),
 * {@code -Dconduit.soak.producers} (2), {@code -Dconduit.soak.consumers} (2). Exit code 0 when the
 * soak passed, 1 otherwise. {@code RaySoakTest} runs it reduced in the cluster suite.
 */
public final class RaySoak {
    private static final String WORKER_MAIN = "io.ray.runtime.runner.worker.DefaultWorker";

    private RaySoak() {
    }

    /**
     * The soak's queue: a {@code ray} queue of 4096 items (as the other backends' soak) with an
     * actor of its own on the second node.
     *
     * @param namespace the Ray namespace, fresh per run
     * @return the descriptor
     */
    static QueueDescriptor queue(String namespace) {
        return QueueDescriptor.ray("soak").withCapacity(4096)
                .withOption(RayQueueOptions.RAY_NAMESPACE, namespace)
                .withOption(RayQueueOptions.RESOURCES, RayTestCluster.NODE_B + "=1");
    }

    /**
     * The resident memory of every Ray Java worker process on this host (the cluster of
     * {@code scripts/ray-cluster.sh} is all on this host), summed: the queue's actor and any other
     * Java worker alive.
     *
     * @return the probe
     */
    static SoakWorkload.Probe javaWorkersRss() {
        return new SoakWorkload.Probe("Ray Java workers' RSS (sum)",
                () -> javaWorkers().stream().mapToDouble(SoakWorkload::rssMib).sum());
    }

    private static List<Long> javaWorkers() {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(RaySoak::isJavaWorker)
                    .map(p -> Long.parseLong(p.getFileName().toString()))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    private static boolean isJavaWorker(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).contains(WORKER_MAIN);
        } catch (IOException e) {
            return false; // gone meanwhile, or not ours to read
        }
    }

    /**
     * Runs the soak once and prints its result, as a row of docs/reliability.md's soak table.
     *
     * @param args unused (settings are system properties, see the class comment)
     * @throws Exception if the cluster cannot be reached or the queue cannot be opened
     */
    public static void main(String[] args) throws Exception {
        int seconds = Integer.getInteger("conduit.soak.seconds", 600);
        int interval = Integer.getInteger("conduit.soak.interval", 10);
        SoakWorkload workload = new SoakWorkload(seconds, interval, Integer.getInteger("conduit.soak.producers", 2),
                Integer.getInteger("conduit.soak.consumers", 2));
        SoakWorkload.Result r;
        RayTestCluster.connect();
        try {
            r = workload.run("ray", queue(RayTestCluster.freshNamespace("soak")), javaWorkersRss());
        } finally {
            RayTestCluster.disconnect();
        }
        System.out.println();
        System.out.println(SoakWorkload.Result.header());
        System.out.println(r.row());
        System.out.println();
        System.out.println(summary(r, 6));
        System.exit(r.passed() ? 0 : 1);
    }

    /**
     * The result in the columns of docs/reliability.md's soak table: mean items/s over
     * {@code windows} equal windows, items, lost, duplicated, heap after GC min–max, heap after
     * warm-up → end, peak RSS; then the workers' RSS first → last and peak.
     *
     * @param r the soak's result
     * @param windows how many throughput windows
     * @return the row, and the workers' line
     */
    static String summary(SoakWorkload.Result r, int windows) {
        StringBuilder row = new StringBuilder("| ray |");
        for (double m : r.windowMeans(windows)) {
            row.append(String.format(Locale.ROOT, " %,.0f |", m));
        }
        List<SoakWorkload.Sample> s = r.samples();
        double heapMin = s.stream().mapToDouble(SoakWorkload.Sample::heapMib).min().orElse(0);
        double heapMax = s.stream().mapToDouble(SoakWorkload.Sample::heapMib).max().orElse(0);
        row.append(String.format(Locale.ROOT, " %,d | %d | %d | %.1f–%.1f | %.1f → %.1f | %.1f |", r.items(), r.lost(),
                r.duplicated(), heapMin, heapMax, r.warmHeapMib(), r.endHeapMib(), r.peakRssMib()));
        if (!s.isEmpty()) {
            double workersPeak = s.stream().mapToDouble(SoakWorkload.Sample::probeMib).max().orElse(0);
            row.append(String.format(Locale.ROOT, "%nRay Java workers' RSS (sum): %.1f MiB at %d s → %.1f MiB at %d s,"
                    + " peak %.1f MiB", s.get(0).probeMib(), s.get(0).second(), s.get(s.size() - 1).probeMib(),
                    s.get(s.size() - 1).second(), workersPeak));
        }
        return row.toString();
    }
}
