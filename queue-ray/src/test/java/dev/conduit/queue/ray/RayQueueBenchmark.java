package dev.conduit.queue.ray;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.ActorHandle;
import io.ray.api.Ray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Throughput of the ray backend against a plain Ray actor call with the same payload, on a
 * running cluster ({@code scripts/ray-cluster.sh bench}). Both actors are placed on the second
 * node; the driver runs on the head. Prints a Markdown table; each queue figure is set beside the
 * plain call of the same shape, measured in the same run (and measured again after it, to show
 * how much the loaded machine drifted meanwhile).
 *
 * <p>Sizes: {@code -Dconduit.bench.single} items for one-at-a-time runs (default 20000:
 * a run of a few seconds at the plain call's rate, long enough not to be one scheduling hiccup),
 * {@code -Dconduit.bench.batched} for batches of 100 (default 1000000), payload
 * {@code -Dconduit.bench.payload} bytes (default 100).
 */
public final class RayQueueBenchmark {
    private static final int SINGLE = Integer.getInteger("conduit.bench.single", 20_000);
    private static final int BATCHED = Integer.getInteger("conduit.bench.batched", 1_000_000);
    private static final int PAYLOAD = Integer.getInteger("conduit.bench.payload", 100);
    private static final int BATCH = 100;
    private static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(60);
    /** The system property naming the results file (docs/benchmarks.md's section "ray"). */
    private static final String RESULTS_PROPERTY = "conduit.bench.results";

    private RayQueueBenchmark() {
    }

    /**
     * Runs every measurement once after a warm-up, and prints the table.
     *
     * @param args unused
     * @throws Exception if a measurement fails
     */
    public static void main(String[] args) throws Exception {
        double loadAtStart = loadNow();
        RayQueues.ensureRuntime();
        try {
            String ns = "bench-" + System.nanoTime();
            byte[] payload = new byte[PAYLOAD];
            Arrays.fill(payload, (byte) 7);
            ActorHandle<EchoActor> echo = Ray.actor(EchoActor::new).setResource(RayTestCluster.NODE_B, 1.0).remote();
            Ray.get(echo.task(EchoActor::echo, payload).remote());
            QueueDescriptor d = QueueDescriptor.ray("bench").withCapacity(10_000)
                    .withOption(RayQueueOptions.RAY_NAMESPACE, ns)
                    .withOption(RayQueueOptions.RESOURCES, RayTestCluster.NODE_B + "=1");
            // The same queue, through handles whose puts each wait for the actor's answer.
            QueueDescriptor unpipelined = d.withOption(RayQueueOptions.PIPELINE, "0");
            // ... and through a consuming handle that takes up to 1000 items per call (option prefetch).
            QueueDescriptor prefetching = d.withOption(RayQueueOptions.PREFETCH, "1000");
            try (MessageQueue<byte[]> producer = d.open(Codecs.bytes());
                    MessageQueue<byte[]> consumer = d.open(Codecs.bytes());
                    MessageQueue<byte[]> waitingProducer = unpipelined.open(Codecs.bytes());
                    MessageQueue<byte[]> prefetchingConsumer = prefetching.open(Codecs.bytes())) {
                producer.size();
                consumer.size();
                waitingProducer.size();
                prefetchingConsumer.size();
                // Warm-up: JIT, worker connections.
                plainCalls(echo, payload, SINGLE / 5);
                putThenGetConcurrently(producer, consumer, payload, SINGLE / 5);
                putThenGetConcurrently(waitingProducer, consumer, payload, SINGLE / 5);
                putThenGetConcurrently(producer, prefetchingConsumer, payload, SINGLE / 5);
                batchedConcurrently(producer, consumer, payload, BATCHED / 10);

                double plain = plainCalls(echo, payload, SINGLE);
                double single = putThenGetConcurrently(producer, consumer, payload, SINGLE);
                double waiting = putThenGetConcurrently(waitingProducer, consumer, payload, SINGLE);
                double prefetched = putThenGetConcurrently(producer, prefetchingConsumer, payload, SINGLE);
                double sequential = putThenGetOneThread(producer, payload, SINGLE);
                double plainAgain = plainCalls(echo, payload, SINGLE);
                double plainBatch = plainBatchCalls(echo, payload, BATCHED);
                double batched = batchedConcurrently(producer, consumer, payload, BATCHED);
                double batchedPrefetched = batchedConcurrently(producer, prefetchingConsumer, payload, BATCHED);
                double plainBatchAgain = plainBatchCalls(echo, payload, BATCHED);

                double plainMean = (plain + plainAgain) / 2;
                double plainBatchMean = (plainBatch + plainBatchAgain) / 2;
                String single1 = "plain actor call, one item per call (echo), mean of the two runs";
                String batch100 = "plain actor call, 100 items per call (echo of one frame), mean of the two runs";
                List<Row> rows = List.of(
                        new Row("plain actor call, one item per call (echo)", plain, null, null, null),
                        new Row("ray queue, put and get on two threads, one item per call", single, plainMean,
                                single1, SINGLE_TARGET),
                        new Row("ray queue, the same with pipeline=0 (every put waits for its answer)", waiting,
                                plainMean, single1, null),
                        new Row("ray queue, put and get on two threads, consumer with prefetch=1000", prefetched,
                                plainMean, single1, null),
                        new Row("ray queue, put then get on one thread, one item per call", sequential, plainMean,
                                single1, null),
                        new Row("plain actor call, one item per call, measured again", plainAgain, null, null, null),
                        new Row("plain actor call, 100 items per call (echo of one frame)", plainBatch, null, null,
                                null),
                        new Row("ray queue, putAll(100) and getBatch(100) on two threads", batched, plainBatchMean,
                                batch100, BATCH_TARGET),
                        new Row("ray queue, the same, consumer with prefetch=1000", batchedPrefetched, plainBatchMean,
                                batch100, BATCH_TARGET),
                        new Row("plain actor call, 100 items per call, measured again", plainBatchAgain, null, null,
                                null));
                System.out.printf("%n%s%n%n| measurement (payload %d B) | items/s | vs plain call (mean) | target | met |%n"
                        + "|---|---:|---:|---|---|%n", machine(loadAtStart, loadNow()), PAYLOAD);
                for (Row r : rows) {
                    System.out.println(r.markdown());
                }
                String file = System.getProperty(RESULTS_PROPERTY);
                if (file != null && !file.isBlank()) {
                    writeResults(Path.of(file), loadAtStart, rows);
                    System.out.println("results written to " + file);
                }
            } finally {
                QueueDescriptor.ray("bench").withOption(RayQueueOptions.RAY_NAMESPACE, ns).open().destroy();
                echo.kill();
            }
        } finally {
            RayTestCluster.disconnect();
        }
    }

    /**
     * One measured figure and what it is compared with.
     *
     * @param measure what was measured
     * @param itemsPerSecond the figure
     * @param reference the plain call of the same shape, or null for the reference rows themselves
     * @param referenceName what the reference is
     * @param target the target for this row, or null
     */
    private record Row(String measure, double itemsPerSecond, Double reference, String referenceName, Target target) {
        Double ratio() {
            return reference == null ? null : itemsPerSecond / reference;
        }

        Boolean met() {
            return target == null ? null : target.met(itemsPerSecond, ratio());
        }

        String markdown() {
            return String.format(Locale.ROOT, "| %s | %,.0f | %s | %s | %s |", measure, itemsPerSecond,
                    ratio() == null ? "" : String.format(Locale.ROOT, "%.2f×", ratio()),
                    target == null ? "" : target.text(), met() == null ? "" : met() ? "yes" : "no");
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("measure", measure + ", payload " + PAYLOAD + " B");
            m.put("unit", "items/s");
            m.put("conduit", Math.round(itemsPerSecond * 10) / 10.0);
            m.put("reference", reference == null ? null : Math.round(reference * 10) / 10.0);
            m.put("referenceName", referenceName);
            m.put("higherIsBetter", true);
            m.put("ratio", ratio() == null ? null : Math.round(ratio() * 100) / 100.0);
            m.put("target", target == null ? null : target.text());
            m.put("met", met());
            return m;
        }
    }

    /** A target of the issue: a ratio to the plain call, or an absolute rate. */
    private record Target(String text, double minRatio, double minItemsPerSecond) {
        boolean met(double itemsPerSecond, Double ratio) {
            return itemsPerSecond >= minItemsPerSecond && (minRatio == 0 || (ratio != null && ratio >= minRatio));
        }
    }

    private static final Target SINGLE_TARGET = new Target(">= 0.8x the plain actor call", 0.8, 0);
    private static final Target BATCH_TARGET = new Target(">= 100,000 items/s", 0, 100_000);

    /** The machine, its load at the start and (when given) at the end, for the results. */
    private static String machine(double loadAtStart, Double loadAtEnd) {
        return String.format(Locale.ROOT, "%d cores, load average %.1f at start%s, JDK %s, Ray %s (2 nodes on one host)",
                Runtime.getRuntime().availableProcessors(), loadAtStart,
                loadAtEnd == null ? "" : String.format(Locale.ROOT, " and %.1f at the end", loadAtEnd),
                Runtime.version(), System.getProperty("conduit.bench.rayVersion", "2.58.0"));
    }

    private static double loadNow() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Writes the results file of docs/benchmarks.md's section "ray" (format: the shared results spec). */
    private static void writeResults(Path file, double loadAtStart, List<Row> rows) throws java.io.IOException {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("section", "ray");
        results.put("title", "queue-ray on a two-node Ray cluster on one host");
        results.put("command", "scripts/ray-cluster.sh " + System.getProperty("conduit.bench.via", "bench")
                + " --results " + file);
        results.put("machine", machine(loadAtStart, loadNow()));
        results.put("when", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        // The plain calls are the references of the queue rows, not rows of their own.
        results.put("rows", rows.stream().filter(r -> r.reference() != null).map(Row::json).toList());
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), results);
    }

    private static double plainCalls(ActorHandle<EchoActor> echo, byte[] payload, int n) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Ray.get(echo.task(EchoActor::echo, payload).remote());
        }
        return n / seconds(t0);
    }

    private static double plainBatchCalls(ActorHandle<EchoActor> echo, byte[] payload, int n) {
        List<byte[]> items = new ArrayList<>();
        int[] priorities = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            items.add(payload);
        }
        byte[] frame = Frames.write(items, priorities);
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i += BATCH) {
            Ray.get(echo.task(EchoActor::echo, frame).remote());
        }
        return n / seconds(t0);
    }

    private static double putThenGetConcurrently(MessageQueue<byte[]> producer, MessageQueue<byte[]> consumer,
            byte[] payload, int n) throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < n; i++) {
                    producer.put(payload);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        for (int i = 0; i < n; i++) {
            take(consumer, put, i, n);
        }
        put.get();
        return n / seconds(t0);
    }

    private static double putThenGetOneThread(MessageQueue<byte[]> q, byte[] payload, int n) throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            q.put(payload);
            q.get();
        }
        return n / seconds(t0);
    }

    private static double batchedConcurrently(MessageQueue<byte[]> producer, MessageQueue<byte[]> consumer,
            byte[] payload, int n) throws Exception {
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            batch.add(payload);
        }
        long t0 = System.nanoTime();
        CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < n; i += BATCH) {
                    producer.putAll(batch);
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        int got = 0;
        while (got < n) {
            List<byte[]> items = consumer.getBatch(BATCH, PATIENCE);
            if (items.isEmpty()) {
                throw new IllegalStateException(noItem(put, got, n) + "; queue " + consumer.metrics());
            }
            got += items.size();
        }
        put.get();
        return n / seconds(t0);
    }

    /** Takes one item, failing (rather than hanging) when the producer failed or items went missing. */
    private static void take(MessageQueue<byte[]> consumer, CompletableFuture<Void> producer, int got, int n)
            throws InterruptedException {
        try {
            consumer.get(PATIENCE);
        } catch (dev.conduit.queue.QueueEmptyException e) {
            throw new IllegalStateException(noItem(producer, got, n) + "; queue " + consumer.metrics(), e);
        }
    }

    private static String noItem(CompletableFuture<Void> producer, int got, int n) {
        String why = "running";
        if (producer.isCompletedExceptionally()) {
            try {
                producer.join();
            } catch (RuntimeException e) {
                why = "failed: " + e;
            }
        } else if (producer.isDone()) {
            why = "done";
        }
        dumpThreads();
        return "no item for " + PATIENCE + " after " + got + " of " + n + " items; the producer is " + why;
    }

    /** Prints every thread of this driver with its whole stack, as jstack would, to stderr. */
    private static void dumpThreads() {
        System.err.println("thread dump of the benchmark driver at the stall:");
        for (java.lang.management.ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            System.err.printf("\"%s\" %s%n", t.getThreadName(), t.getThreadState());
            for (StackTraceElement e : t.getStackTrace()) {
                System.err.println("\tat " + e);
            }
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
