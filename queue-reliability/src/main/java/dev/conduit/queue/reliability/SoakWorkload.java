package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * The soak's mixed workload against any queue a {@link QueueDescriptor} opens: single puts (with a
 * random priority), batches of 16, transactions of 4, single and batch gets, peeks, {@code size()}
 * and {@code metrics()}, from several producer and consumer threads, each with a handle of its own.
 * Throughput, the heap after a full GC and this process's resident memory are printed at every
 * interval; at the end every item must be accounted for (count and checksum of sequence numbers)
 * and the heap after GC must be flat (at most {@value #FLAT_MARGIN_MIB} MiB above the heap after
 * warm-up).
 *
 * <p>It needs only {@code queue-api}: {@link SoakRunner} runs it on the in-process, shm and rpc
 * backends, and queue-ray's {@code RaySoak} on a real Ray cluster. One instance may run several
 * soaks in turn; it is not meant to run two at once.
 */
public final class SoakWorkload {
    /** Heap growth allowed between warm-up and the end, in MiB, before the run fails. */
    public static final double FLAT_MARGIN_MIB = 24;

    private final int seconds;
    private final int intervalSeconds;
    private final int producers;
    private final int consumers;

    /**
     * A workload of the given length and shape.
     *
     * @param seconds how long the traffic runs
     * @param intervalSeconds how often throughput and memory are sampled and printed
     * @param producers producer threads
     * @param consumers consumer threads
     * @throws IllegalArgumentException if a count is below 1
     */
    public SoakWorkload(int seconds, int intervalSeconds, int producers, int consumers) {
        if (seconds < 1 || intervalSeconds < 1 || producers < 1 || consumers < 1) {
            throw new IllegalArgumentException("seconds, interval, producers and consumers must be at least 1");
        }
        this.seconds = seconds;
        this.intervalSeconds = intervalSeconds;
        this.producers = producers;
        this.consumers = consumers;
    }

    /**
     * A second memory figure sampled beside this process's, printed as an extra column and kept in
     * every {@link Sample} (for example the resident memory of the processes that hold a remote
     * queue). It does not enter the verdict.
     *
     * @param name the column's name
     * @param mib the figure in MiB; called once per interval from the sampling thread
     */
    public record Probe(String name, DoubleSupplier mib) {
    }

    /**
     * One interval's figures.
     *
     * @param second seconds since the traffic started
     * @param itemsPerSecond items taken by consumers per second over the interval
     * @param heapMib this JVM's heap after a full GC
     * @param rssMib this process's resident memory
     * @param probeMib the probe's figure, or NaN without a probe
     */
    public record Sample(int second, double itemsPerSecond, double heapMib, double rssMib, double probeMib) {
    }

    /**
     * What one soak produced.
     *
     * @param backend the label of the run (the backend's type)
     * @param seconds how long it ran
     * @param items items delivered (including those drained at the end)
     * @param lost items put and never delivered; -1 on a failure or when the checksum differs
     * @param duplicated deliveries beyond the items put; -1 on a failure
     * @param warmHeapMib heap after GC once warmed up
     * @param endHeapMib heap after GC at the end
     * @param peakRssMib highest resident memory sampled
     * @param samples every interval's figures, in order
     * @param problem why the run failed when {@code lost} is -1 (a worker's exception with its stack,
     *     or the checksum mismatch), else null
     */
    public record Result(String backend, int seconds, long items, long lost, long duplicated, double warmHeapMib,
            double endHeapMib, double peakRssMib, List<Sample> samples, String problem) {

        /** @return whether the heap after GC at the end is within the margin of the heap after warm-up */
        public boolean memoryFlat() {
            return endHeapMib - warmHeapMib <= FLAT_MARGIN_MIB;
        }

        /** @return no item lost or duplicated and memory flat */
        public boolean passed() {
            return lost == 0 && duplicated == 0 && memoryFlat();
        }

        /** @return the header of {@link #row()}'s Markdown table, with its separator line */
        public static String header() {
            return "| backend | seconds | items | items/s (mean) | lost | duplicated | heap after warm-up (MiB) "
                    + "| heap at end (MiB) | peak RSS (MiB) | memory flat |\n|---|---|---|---|---|---|---|---|---|---|";
        }

        /** @return this result as a row of a Markdown table */
        public String row() {
            return String.format(Locale.ROOT, "| %s | %d | %,d | %,.0f | %d | %d | %.1f | %.1f | %.1f | %s |", backend,
                    seconds, items, items / (double) Math.max(1, seconds), lost, duplicated, warmHeapMib, endHeapMib,
                    peakRssMib, memoryFlat() ? "yes" : "NO");
        }

        /**
         * Mean items/s over consecutive windows of the samples (the last window takes what is left).
         *
         * @param windows how many windows
         * @return one mean per window that has samples
         */
        public List<Double> windowMeans(int windows) {
            List<Double> means = new ArrayList<>();
            int per = Math.max(1, (int) Math.ceil(samples.size() / (double) windows));
            for (int from = 0; from < samples.size(); from += per) {
                List<Sample> w = samples.subList(from, Math.min(samples.size(), from + per));
                means.add(w.stream().mapToDouble(Sample::itemsPerSecond).average().orElse(0));
            }
            return means;
        }
    }

    /**
     * Runs the workload on the queue {@code d} opens: clears it first, destroys it at the end.
     *
     * @param label the backend's name in the output
     * @param d the queue
     * @return the result
     * @throws Exception when the queue cannot be opened, cleared or drained
     */
    public Result run(String label, QueueDescriptor d) throws Exception {
        return run(label, d, null);
    }

    /**
     * As {@link #run(String, QueueDescriptor)}, sampling {@code probe} beside this process's memory.
     *
     * @param label the backend's name in the output
     * @param d the queue
     * @param probe a second memory figure, or null
     * @return the result
     * @throws Exception when the queue cannot be opened, cleared or drained
     */
    public Result run(String label, QueueDescriptor d, Probe probe) throws Exception {
        System.out.printf(Locale.ROOT, "%n== %s: %d s, %d producers, %d consumers, queue %s%n", label, seconds,
                producers, consumers, d.qualifiedName());
        AtomicBoolean stopProducers = new AtomicBoolean();
        AtomicBoolean stopConsumers = new AtomicBoolean();
        LongAdder put = new LongAdder();
        LongAdder got = new LongAdder();
        LongAdder putSum = new LongAdder();
        LongAdder gotSum = new LongAdder();
        List<Thread> producerThreads = new ArrayList<>();
        List<Thread> consumerThreads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Sample> samples = new ArrayList<>();
        MessageQueue<byte[]> admin = d.open(Codecs.bytes());
        admin.clear();
        for (int p = 0; p < producers; p++) {
            long base = (long) p << 40;
            producerThreads.add(thread("soak-producer-" + p, failures, () -> produce(d, base, stopProducers, put, putSum)));
        }
        for (int c = 0; c < consumers; c++) {
            consumerThreads.add(thread("soak-consumer-" + c, failures, () -> consume(d, stopConsumers, got, gotSum)));
        }
        producerThreads.forEach(Thread::start);
        consumerThreads.forEach(Thread::start);
        long start = System.nanoTime();
        long lastGot = 0;
        double warmHeap = -1;
        double endHeap = 0;
        double peakRss = 0;
        int warmAt = Math.max(intervalSeconds, Math.min(60, seconds / 5));
        System.out.println("  time    items/s      heap after GC   RSS" + (probe == null ? "" : "           " + probe.name()));
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
            double rss = rssMib(ProcessHandle.current().pid());
            double extra = probe == null ? Double.NaN : probe.mib().getAsDouble();
            peakRss = Math.max(peakRss, rss);
            if (warmHeap < 0 && t >= warmAt) {
                warmHeap = heap;
            }
            endHeap = heap;
            Sample s = new Sample(t, (now - lastGot) / (double) intervalSeconds, heap, rss, extra);
            samples.add(s);
            System.out.printf(Locale.ROOT, "  %4ds  %,10.0f   %8.1f MiB   %7.1f MiB%s%n", t, s.itemsPerSecond(), heap,
                    rss, probe == null ? "" : String.format(Locale.ROOT, "   %7.1f MiB", extra));
            lastGot = now;
        }
        // Producers stop first while consumers keep taking, so that a put waiting for room (a
        // transaction waits without a timeout) always gets it and returns; then the consumers stop.
        stopProducers.set(true);
        List<String> stuck = new ArrayList<>(joinAll(producerThreads));
        stopConsumers.set(true);
        stuck.addAll(joinAll(consumerThreads));
        if (!stuck.isEmpty()) {
            // Destroying the queue under a live thread would fail it for the wrong reason: report this instead.
            failures.add(new IllegalStateException("still running " + JOIN_MILLIS + " ms after being told to stop: "
                    + stuck));
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
            return new Result(label, seconds, got.sum(), -1, -1, warmHeap, endHeap, peakRss, List.copyOf(samples),
                    failures.size() + " worker thread(s) failed; the first: " + oneLine(f));
        }
        long lost = Math.max(0, put.sum() - got.sum());
        long duplicated = Math.max(0, got.sum() - put.sum());
        String problem = null;
        if (lost == 0 && duplicated == 0 && putSum.sum() != gotSum.sum()) {
            lost = -1; // same count, different items: report as a failure
            problem = "as many items delivered as put (" + put.sum() + ") but the checksums differ: put "
                    + putSum.sum() + ", delivered " + gotSum.sum();
        }
        if (warmHeap < 0) {
            warmHeap = endHeap;
        }
        Result r = new Result(label, seconds, got.sum(), lost, duplicated, warmHeap, endHeap, peakRss,
                List.copyOf(samples), problem);
        System.out.println("  " + (r.passed() ? "PASS" : "FAIL") + ": " + r.row());
        return r;
    }

    /**
     * A failure on one line, so that a test report's summary shows it whole: each exception of the
     * cause chain with the frames that threw it.
     */
    private static String oneLine(Throwable f) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = f; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (b.length() > 0) {
                b.append(" | caused by ");
            }
            b.append(t);
            StackTraceElement[] stack = t.getStackTrace();
            for (int i = 0; i < Math.min(4, stack.length); i++) {
                b.append(i == 0 ? " at " : " < ").append(stack[i]);
            }
        }
        return b.toString();
    }

    /** How long the end of a run waits for each worker thread. */
    private static final long JOIN_MILLIS = 30_000;

    /** Waits for each thread; returns the names of those still running. */
    private static List<String> joinAll(List<Thread> threads) throws InterruptedException {
        List<String> stuck = new ArrayList<>();
        for (Thread th : threads) {
            th.join(JOIN_MILLIS);
            if (th.isAlive()) {
                stuck.add(th.getName());
            }
        }
        return stuck;
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

    /**
     * The heap a full GC left, as the collector itself recorded it ({@code getCollectionUsage} of
     * every heap pool). Reading the heap's current use after {@code System.gc()} returned also
     * counted what the workload's threads allocated since, which on two busy cores can be tens of
     * MiB (CI once read 59.7 MiB at the end of an 8 s local soak whose other samples were 33.7–34.8).
     */
    private static double heapAfterGcMib() {
        System.gc();
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage afterGc = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (afterGc != null) {
                used += afterGc.getUsed();
            }
        }
        return used / 1048576.0;
    }

    /**
     * The resident memory of a process on this host.
     *
     * @param pid the process
     * @return its RSS in MiB; 0 when it is gone or this is not Linux
     */
    public static double rssMib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Gone, or not Linux: report 0.
        }
        return 0;
    }
}
