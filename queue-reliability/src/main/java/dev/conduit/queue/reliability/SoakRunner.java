package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.QueueServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak run: every backend in turn under a mixed workload (single puts, batches, transactions,
 * single and batch gets, peeks and size calls) from several producer and consumer threads, with
 * throughput, heap after a full GC and resident memory printed at every interval, and a verdict at
 * the end: every item accounted for (count and checksum), and memory flat (the heap after GC at the
 * end within a margin of the heap after warm-up).
 *
 * <pre>
 *   java -cp ... dev.conduit.queue.reliability.SoakRunner --seconds 600 --backends local,priority,shm,rpc
 * </pre>
 *
 * Exit code 0 when every backend passed, 1 otherwise.
 */
public final class SoakRunner {
    /** Heap growth allowed between warm-up and the end, in MiB, before the run fails. */
    private static final double FLAT_MARGIN_MIB = 24;

    private final int seconds;
    private final int intervalSeconds;
    private final int producers;
    private final int consumers;

    SoakRunner(int seconds, int intervalSeconds, int producers, int consumers) {
        this.seconds = seconds;
        this.intervalSeconds = intervalSeconds;
        this.producers = producers;
        this.consumers = consumers;
    }

    /**
     * Runs the soak.
     *
     * @param args {@code --seconds N} per backend (default 600), {@code --interval N} (10),
     *     {@code --backends a,b} (local,priority,shm,rpc), {@code --producers N} (2), {@code --consumers N} (2)
     * @throws Exception on a setup failure
     */
    public static void main(String[] args) throws Exception {
        int seconds = 600;
        int interval = 10;
        int producers = 2;
        int consumers = 2;
        List<String> backends = List.of("local", "priority", "shm", "rpc");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--interval": interval = Integer.parseInt(args[++i]); break;
                case "--producers": producers = Integer.parseInt(args[++i]); break;
                case "--consumers": consumers = Integer.parseInt(args[++i]); break;
                case "--backends": backends = List.of(args[++i].split(",")); break;
                default:
                    System.err.println("unknown argument " + args[i]
                            + " (known: --seconds --interval --backends --producers --consumers)");
                    System.exit(2);
            }
        }
        SoakRunner runner = new SoakRunner(seconds, interval, producers, consumers);
        boolean ok = true;
        List<Result> results = new ArrayList<>();
        for (String b : backends) {
            Result r = runner.run(b);
            results.add(r);
            ok &= r.passed();
        }
        System.out.println();
        System.out.println("| backend | seconds | items | items/s (mean) | lost | duplicated | heap after warm-up (MiB) "
                + "| heap at end (MiB) | peak RSS (MiB) | memory flat |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Result r : results) {
            System.out.println(r.row());
        }
        System.exit(ok ? 0 : 1);
    }

    /** What one backend's soak produced. */
    record Result(String backend, int seconds, long items, long lost, long duplicated, double warmHeapMib,
            double endHeapMib, double peakRssMib) {

        boolean memoryFlat() {
            return endHeapMib - warmHeapMib <= FLAT_MARGIN_MIB;
        }

        boolean passed() {
            return lost == 0 && duplicated == 0 && memoryFlat();
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %d | %,d | %,.0f | %d | %d | %.1f | %.1f | %.1f | %s |", backend,
                    seconds, items, items / (double) Math.max(1, seconds), lost, duplicated, warmHeapMib, endHeapMib,
                    peakRssMib, memoryFlat() ? "yes" : "NO");
        }
    }

    /**
     * Soaks one backend.
     *
     * @param backend local, priority, shm or rpc
     * @return the result
     * @throws Exception on a setup failure
     */
    Result run(String backend) throws Exception {
        QueueServer server = null;
        QueueDescriptor d;
        String id = "soak-" + ProcessHandle.current().pid() + "-" + backend;
        switch (backend) {
            case "local":
            case "priority":
                d = QueueDescriptor.of(backend, id).withNamespace("soak").withCapacity(4096);
                break;
            case "shm":
                d = QueueDescriptor.shm(id).withNamespace("soak").withCapacity(4096).withOption("itemSize", "128");
                break;
            case "rpc":
                server = QueueServer.builder().host("127.0.0.1").port(0).start();
                d = QueueDescriptor.rpc("127.0.0.1", server.port(), id).withCapacity(4096);
                break;
            default:
                throw new IllegalArgumentException("unknown backend " + backend);
        }
        try {
            return soak(backend, d);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private Result soak(String backend, QueueDescriptor d) throws Exception {
        System.out.printf(Locale.ROOT, "%n== %s: %d s, %d producers, %d consumers, queue %s%n", backend, seconds,
                producers, consumers, d.qualifiedName());
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder put = new LongAdder();
        LongAdder got = new LongAdder();
        LongAdder putSum = new LongAdder();
        LongAdder gotSum = new LongAdder();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        MessageQueue<byte[]> admin = d.open(Codecs.bytes());
        admin.clear();
        for (int p = 0; p < producers; p++) {
            long base = (long) p << 40;
            threads.add(thread("soak-producer-" + p, failures, () -> produce(d, base, stop, put, putSum)));
        }
        for (int c = 0; c < consumers; c++) {
            threads.add(thread("soak-consumer-" + c, failures, () -> consume(d, stop, got, gotSum)));
        }
        threads.forEach(Thread::start);
        long start = System.nanoTime();
        long lastGot = 0;
        double warmHeap = -1;
        double endHeap = 0;
        double peakRss = 0;
        int warmAt = Math.max(intervalSeconds, Math.min(60, seconds / 5));
        System.out.println("  time    items/s      heap after GC   RSS");
        for (int t = intervalSeconds; t <= seconds; t += intervalSeconds) {
            long sleepUntil = start + t * 1_000_000_000L;
            while (System.nanoTime() < sleepUntil && failures.isEmpty()) {
                Thread.sleep(50);
            }
            if (!failures.isEmpty()) {
                break;
            }
            long now = got.sum();
            double heap = heapAfterGcMib();
            double rss = rssMib();
            peakRss = Math.max(peakRss, rss);
            if (warmHeap < 0 && t >= warmAt) {
                warmHeap = heap;
            }
            endHeap = heap;
            System.out.printf(Locale.ROOT, "  %4ds  %,10.0f   %8.1f MiB   %7.1f MiB%n", t,
                    (now - lastGot) / (double) intervalSeconds, heap, rss);
            lastGot = now;
        }
        stop.set(true);
        for (Thread th : threads) {
            th.join(30_000);
        }
        // Whatever is still queued is counted as delivered by draining it here.
        for (List<byte[]> rest = admin.getBatch(1024, Duration.ofMillis(200)); !rest.isEmpty();
                rest = admin.getBatch(1024, Duration.ofMillis(200))) {
            for (byte[] item : rest) {
                got.increment();
                gotSum.add(ByteBuffer.wrap(item).getLong());
            }
        }
        admin.destroy();
        if (!failures.isEmpty()) {
            Throwable f = failures.get(0);
            System.out.println("  FAILED: " + f);
            f.printStackTrace(System.out);
            return new Result(d.type(), seconds, got.sum(), -1, -1, warmHeap, endHeap, peakRss);
        }
        long lost = Math.max(0, put.sum() - got.sum());
        long duplicated = Math.max(0, got.sum() - put.sum());
        if (lost == 0 && duplicated == 0 && putSum.sum() != gotSum.sum()) {
            lost = -1; // same count, different items: report as a failure
        }
        if (warmHeap < 0) {
            warmHeap = endHeap;
        }
        Result r = new Result(backend, seconds, got.sum(), lost, duplicated, warmHeap, endHeap, peakRss);
        System.out.println("  " + (r.passed() ? "PASS" : "FAIL") + ": " + r.row());
        return r;
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Thread thread(String name, List<Throwable> failures, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failures.add(e);
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private static byte[] item(long seq) {
        byte[] b = new byte[64];
        ByteBuffer.wrap(b).putLong(seq);
        return b;
    }

    private static void produce(QueueDescriptor d, long base, AtomicBoolean stop, LongAdder put, LongAdder putSum)
            throws Exception {
        long seq = base;
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (!stop.get()) {
                int dice = rnd.nextInt(100);
                try {
                    if (dice < 60) {
                        q.put(item(seq), rnd.nextInt(256), Duration.ofMillis(50));
                        put.increment();
                        putSum.add(seq++);
                    } else if (dice < 85) {
                        List<byte[]> batch = new ArrayList<>(16);
                        long first = seq;
                        for (int i = 0; i < 16; i++) {
                            batch.add(item(seq++));
                        }
                        try {
                            q.putAll(batch, 128, Duration.ofMillis(50));
                        } catch (QueueFullException e) {
                            seq = first;
                            throw e;
                        }
                        put.add(16);
                        for (long s = first; s < seq; s++) {
                            putSum.add(s);
                        }
                    } else {
                        long first = seq;
                        q.transaction(tx -> {
                            for (int i = 0; i < 4; i++) {
                                tx.put(item(first + i));
                            }
                        });
                        seq += 4;
                        put.add(4);
                        for (long s = first; s < seq; s++) {
                            putSum.add(s);
                        }
                    }
                } catch (QueueFullException e) {
                    // Backpressure: a full queue for 50 ms is part of the workload.
                }
            }
        }
    }

    private static void consume(QueueDescriptor d, AtomicBoolean stop, LongAdder got, LongAdder gotSum)
            throws Exception {
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (!stop.get()) {
                int dice = rnd.nextInt(100);
                if (dice < 60) {
                    for (byte[] item : q.getBatch(32, Duration.ofMillis(50))) {
                        got.increment();
                        gotSum.add(ByteBuffer.wrap(item).getLong());
                    }
                } else if (dice < 95) {
                    q.poll().ifPresent(item -> {
                        got.increment();
                        gotSum.add(ByteBuffer.wrap(item).getLong());
                    });
                } else {
                    q.peek();
                    q.size();
                    q.metrics();
                }
            }
        }
    }

    private static double heapAfterGcMib() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }

    private static double rssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux: report 0.
        }
        return 0;
    }
}
