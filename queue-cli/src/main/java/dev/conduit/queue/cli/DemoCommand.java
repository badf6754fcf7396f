package dev.conduit.queue.cli;

import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conduit demo}: one producer and two consumers share a queue through its descriptor, passed
 * as JSON. Backends that cross processes get real child processes; in-JVM backends run the same
 * roles as threads. Prints live progress and a summary proving every item arrived exactly once.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a producer and consumers over a queue and report throughput, latency and loss.",
            "Default: the shm backend (shared memory, no server), one producer process and two consumer processes."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", defaultValue = "shm",
            description = "local, priority, shm, rpc or ray (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--items", description = "Items to send, at most 200,000,000 (default: 500,000; 50,000 for "
            + "rpc and ray, whose every batch is a network call).")
    Long itemsOption;

    private long items;

    @Option(names = "--consumers", defaultValue = "2", description = "Consumers (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--capacity", defaultValue = "8192", description = "Queue capacity (default: ${DEFAULT-VALUE}).")
    int capacity;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    private static final long STOP_WAIT_SECONDS = 20;

    /**
     * Most items: a consumer process marks every sequence it saw in a BitSet (up to three copies
     * of it while it grows and is written out) inside the workers' 256 MiB heap.
     */
    static final long MAX_ITEMS = 200_000_000;

    /** Set by the shutdown hook (SIGINT, SIGTERM); the main thread then stops and cleans up. */
    private volatile boolean stopping;

    /** Counted down once the demo has stopped and cleaned up, whichever way it ended. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        String type = backend.toLowerCase(Locale.ROOT);
        items = itemsOption != null ? itemsOption : type.equals("rpc") || type.equals("ray") ? 50_000 : 500_000;
        if (items < 1 || items > MAX_ITEMS) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--items must be 1 to %,d, not %d",
                    MAX_ITEMS, items));
        }
        if (consumers < 1 || consumers > 16) {
            throw new IllegalArgumentException("--consumers must be 1 to 16, not " + consumers);
        }
        // SIGINT or SIGTERM: the hook asks the main thread to stop and waits while it stops the
        // worker processes and destroys the demo queue (its shm file), which it does on every way out.
        Thread hook = new Thread(() -> {
            stopping = true;
            try {
                stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "conduit-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return demo(type);
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the demo has stopped
            }
        }
    }

    private int demo(String type) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (DemoEnvironment env = DemoEnvironment.start(type, capacity, out)) {
            QueueDescriptor d = env.descriptor();
            try (MessageQueue<long[]> q = d.open(Codecs.longs())) {
                try {
                    q.clear();
                    boolean processes = q.capabilities().contains(Capability.CROSS_PROCESS)
                            || q.capabilities().contains(Capability.DISTRIBUTED);
                    if (!json) {
                        out.printf("Conduit demo: backend %s, 1 producer and %d consumer %s sharing %s through its "
                                + "descriptor JSON%n", type, consumers, processes ? "processes" : "threads",
                                d.qualifiedName());
                        out.flush();
                    }
                    long t0 = System.nanoTime();
                    DemoTraffic.Result total = processes ? runProcesses(env, q, out) : runThreads(d, q, out);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    long lost = items - total.seen.cardinality();
                    Summary s = new Summary(type, d, items, total, lost, seconds);
                    out.println(json ? s.toJson() : s.toText());
                    out.flush();
                    return lost == 0 && total.duplicates == 0 ? Conduit.OK : Conduit.FAILED;
                } finally {
                    q.destroy();
                }
            }
        }
    }

    /** @throws InterruptedException when SIGINT or SIGTERM asked the demo to stop */
    private void checkNotStopping() throws InterruptedException {
        if (stopping) {
            throw new InterruptedException("the demo was stopped by a signal");
        }
    }

    private DemoTraffic.Result runThreads(QueueDescriptor d, MessageQueue<long[]> q, PrintWriter out)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(consumers + 1);
        try {
            List<Future<DemoTraffic.Result>> results = new ArrayList<>();
            for (int i = 0; i < consumers; i++) {
                results.add(pool.submit(() -> DemoTraffic.consume(d)));
            }
            Future<?> producer = pool.submit(() -> {
                DemoTraffic.produce(d, items, consumers);
                return null;
            });
            Progress progress = new Progress(q, items, out, json);
            while (!producer.isDone() || results.stream().anyMatch(f -> !f.isDone())) {
                checkNotStopping();
                progress.tick();
                Thread.sleep(100);
            }
            producer.get();
            DemoTraffic.Result total = new DemoTraffic.Result();
            for (Future<DemoTraffic.Result> f : results) {
                total.merge(f.get());
            }
            progress.done();
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    private DemoTraffic.Result runProcesses(DemoEnvironment env, MessageQueue<long[]> q, PrintWriter out)
            throws Exception {
        QueueDescriptor d = env.descriptor();
        Path dir = Files.createTempDirectory("conduit-demo");
        List<Process> children = new ArrayList<>();
        List<Path> outs = new ArrayList<>();
        try {
            for (int i = 0; i < consumers; i++) {
                Path o = dir.resolve("consumer-" + i + ".bin");
                outs.add(o);
                children.add(child(env, "consumer", "--out", o.toString()));
            }
            Process producer = child(env, "producer", "--items", Long.toString(items),
                    "--consumers", Integer.toString(consumers));
            children.add(producer);
            Progress progress = new Progress(q, items, out, json);
            while (children.stream().anyMatch(Process::isAlive)) {
                checkNotStopping();
                progress.tick();
                for (Process p : children) {
                    if (!p.isAlive() && p.exitValue() != 0) {
                        throw new IllegalStateException("a demo process failed (exit " + p.exitValue()
                                + "); its messages are above");
                    }
                }
                Thread.sleep(100);
            }
            progress.done();
            for (Process p : children) {
                if (p.exitValue() != 0) {
                    throw new IllegalStateException("a demo process failed (exit " + p.exitValue() + ")");
                }
            }
            DemoTraffic.Result total = new DemoTraffic.Result();
            for (Path o : outs) {
                total.merge(DemoTraffic.Result.readFrom(o));
            }
            return total;
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
            for (Process p : children) {
                p.waitFor(5, TimeUnit.SECONDS);
            }
            for (Path o : outs) {
                Files.deleteIfExists(o);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Process child(DemoEnvironment env, String role, String... more) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(env.childJvmOptions());
        cmd.add(Conduit.class.getName());
        cmd.add("demo-worker");
        cmd.add("--role");
        cmd.add(role);
        cmd.add("--descriptor");
        cmd.add(env.descriptor().toJson());
        cmd.add("--demo-pid");
        cmd.add(Long.toString(ProcessHandle.current().pid()));
        cmd.addAll(List.of(more));
        return new ProcessBuilder(cmd).inheritIO().redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Live progress: a line every half second (one updating line on a terminal). */
    private static final class Progress {
        private final MessageQueue<long[]> q;
        private final long items;
        private final PrintWriter out;
        private final boolean quiet;
        private final boolean terminal = System.console() != null;
        private final long start = System.nanoTime();
        private long last;

        Progress(MessageQueue<long[]> q, long items, PrintWriter out, boolean quiet) {
            this.q = q;
            this.items = items;
            this.out = out;
            this.quiet = quiet;
        }

        void tick() {
            long now = System.nanoTime();
            if (quiet || now - last < 500_000_000L) {
                return;
            }
            last = now;
            QueueMetrics m = q.metrics();
            double s = (now - start) / 1e9;
            String line = String.format(Locale.ROOT, "  [%5.1fs] got %,d of %,d (%3.0f%%), queued %,d, %,.0f items/s",
                    s, Math.min(m.gets(), items), items, 100.0 * Math.min(m.gets(), items) / items, m.size(),
                    m.gets() / Math.max(s, 1e-9));
            out.print(terminal ? "\r" + line : line + System.lineSeparator());
            out.flush();
        }

        void done() {
            if (!quiet && terminal) {
                out.println();
            }
        }
    }

    /** The figures the demo ends with. */
    private static final class Summary {
        final String type;
        final QueueDescriptor d;
        final long items;
        final DemoTraffic.Result r;
        final long lost;
        final double seconds;

        Summary(String type, QueueDescriptor d, long items, DemoTraffic.Result r, long lost, double seconds) {
            this.type = type;
            this.d = d;
            this.items = items;
            this.r = r;
            this.lost = lost;
            this.seconds = seconds;
        }

        double us(double percentile) {
            return r.latency.getValueAtPercentile(percentile) / 1000.0;
        }

        String toText() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "Summary (%s)%n", d.qualifiedName()));
            b.append(String.format(Locale.ROOT, "  items       %,d sent, %,d received%n", items, r.count));
            b.append(String.format(Locale.ROOT, "  lost        %,d   duplicated %,d%n", lost, r.duplicates));
            b.append(String.format(Locale.ROOT, "  time        %.2f s   throughput %,.0f items/s%n", seconds,
                    r.count / seconds));
            b.append(String.format(Locale.ROOT, "  latency     p50 %.1f µs   p99 %.1f µs   p99.9 %.1f µs   max %.1f µs%n",
                    us(50), us(99), us(99.9), r.latency.getMaxValue() / 1000.0));
            b.append(lost == 0 && r.duplicates == 0
                    ? "OK: every item was delivered exactly once."
                    : "FAILED: items were lost or duplicated.");
            return b.toString();
        }

        String toJson() {
            return String.format(Locale.ROOT, "{\"backend\":\"%s\",\"queue\":%s,\"items\":%d,\"received\":%d,"
                    + "\"lost\":%d,\"duplicated\":%d,\"seconds\":%.3f,\"itemsPerSecond\":%.0f,"
                    + "\"latencyMicros\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},\"ok\":%b}",
                    type, d.toJson(), items, r.count, lost, r.duplicates, seconds, r.count / seconds, us(50), us(99),
                    us(99.9), r.latency.getMaxValue() / 1000.0, lost == 0 && r.duplicates == 0);
        }
    }
}
