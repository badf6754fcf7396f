package dev.conduit.queue.rpc;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Measures the rpc queue against plain grpc-java on the same machine, in the same run:
 * put→get throughput of 64-byte items, one at a time ({@code putAsync}) and in batches of 100
 * ({@code putAllAsync}), taken with {@code getBatch}, against a plain bidirectional stream echoing
 * the same bytes; and unary put round-trip time against a plain unary echo. Prints each figure with
 * its reference and the ratio.
 *
 * <pre>
 * java -cp ... dev.conduit.queue.rpc.RpcBenchmark   (-Dconduit.bench.items=200000 -Dconduit.bench.rtt=20000
 *     -Dconduit.bench.repeats=3 -Dconduit.bench.results=rpc.json writes the figures in the shared results format)
 * </pre>
 */
public final class RpcBenchmark {
    private static final int ITEM = 64;
    private static final int BATCH = 100;
    private static final int ITEMS = Integer.getInteger("conduit.bench.items", 200_000);
    private static final int SINGLE_ITEMS = Integer.getInteger("conduit.bench.singleItems", 20_000);
    private static final int RTT_CALLS = Integer.getInteger("conduit.bench.rtt", 20_000);
    /** How many times each throughput pair (queue, reference) runs, alternating; the medians are reported. */
    private static final int REPEATS = Integer.getInteger("conduit.bench.repeats", 3);
    /** Most items the producer leaves unacknowledged (putAsync futures, or putAllAsync batches' items). */
    private static final int ASYNC_WINDOW = 10_000;
    /** What the consumer asks getBatch for: up to this many, it takes what is there. */
    private static final int GET_BATCH = 1_000;

    private static final MethodDescriptor<byte[], byte[]> ECHO_STREAM = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING).setFullMethodName("bench.Echo/Stream")
            .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
    private static final MethodDescriptor<byte[], byte[]> ECHO_UNARY = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("bench.Echo/Unary")
            .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();

    private RpcBenchmark() {
    }

    /**
     * Runs every measurement and prints a table.
     *
     * @param args ignored
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        Server echo = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .executor(Executors.newFixedThreadPool(4))
                .addService(ServerServiceDefinition.builder("bench.Echo")
                        .addMethod(ECHO_STREAM, ServerCalls.asyncBidiStreamingCall(RpcBenchmark::echoStream))
                        .addMethod(ECHO_UNARY, ServerCalls.asyncUnaryCall((req, out) -> {
                            out.onNext(req);
                            out.onCompleted();
                        }))
                        .build())
                .build().start();
        ManagedChannel echoChannel = ManagedChannelBuilder.forAddress("127.0.0.1", echo.getPort()).usePlaintext()
                .build();
        List<Row> rows = new ArrayList<>();
        String machine = machine();
        String when = Instant.now().toString();
        try (QueueServer server = QueueServer.builder().port(0).start()) {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", server.port(), "bench").withCapacity(100_000);
            // Warm up both sides, each with as many items as it then moves.
            queueThroughput(d.withId("warm-1"), SINGLE_ITEMS, 1, GET_BATCH);
            queueThroughput(d.withId("warm-2"), ITEMS, BATCH, GET_BATCH);
            queueThroughput(d.withId("warm-3"), ITEMS / 4, BATCH, BATCH);
            streamThroughput(echoChannel, SINGLE_ITEMS, 1);
            streamThroughput(echoChannel, ITEMS, BATCH);
            rtt(d.withId("warm-4"), echoChannel, 2_000);

            double[] single = medians(REPEATS, r -> queueThroughput(d.withId("single-" + r), SINGLE_ITEMS, 1,
                    GET_BATCH), r -> streamThroughput(echoChannel, ITEMS, 1));
            rows.add(new Row("put->get throughput, single 64 B items (putAsync + getBatch(1000))", "items/s", single[0],
                    single[1], true, null, null));
            double[] batch = medians(REPEATS, r -> queueThroughput(d.withId("batch-" + r), ITEMS, BATCH, GET_BATCH),
                    r -> streamThroughput(echoChannel, ITEMS, BATCH));
            rows.add(new Row("put->get throughput, batches of 100 x 64 B (putAllAsync + getBatch(1000))", "items/s",
                    batch[0], batch[1], true, ">= 0.8x the reference and >= 1,000,000 items/s",
                    batch[0] >= 0.8 * batch[1] && batch[0] >= 1_000_000));
            double[] batch100 = medians(REPEATS, r -> queueThroughput(d.withId("batch-100-" + r), ITEMS, BATCH, BATCH),
                    r -> streamThroughput(echoChannel, ITEMS, BATCH));
            rows.add(new Row("put->get throughput, batches of 100 x 64 B (putAllAsync + getBatch(100))", "items/s",
                    batch100[0], batch100[1], true, null, null));
            Histogram[] h = rtt(d.withId("rtt"), echoChannel, RTT_CALLS);
            double qp50 = h[0].getValueAtPercentile(50) / 1000.0;
            double ep50 = h[1].getValueAtPercentile(50) / 1000.0;
            double qp99 = h[0].getValueAtPercentile(99) / 1000.0;
            double ep99 = h[1].getValueAtPercentile(99) / 1000.0;
            rows.add(new Row("unary put round trip p50", "us", qp50, ep50, false, "<= 1.3x the reference",
                    qp50 <= 1.3 * ep50));
            rows.add(new Row("unary put round trip p99", "us", qp99, ep99, false, null, null));
        } finally {
            echoChannel.shutdownNow();
            echo.shutdownNow();
        }
        System.out.println();
        System.out.printf("| %-86s | %14s | %16s | %7s |%n", "measure", "conduit rpc", "plain grpc-java", "ratio");
        System.out.printf("|%s|%s|%s|%s|%n", "-".repeat(88), "-".repeat(16), "-".repeat(18), "-".repeat(9));
        for (Row r : rows) {
            System.out.printf("| %-86s | %14s | %16s | %7.2f |%n", r.measure + " (" + r.unit + ")",
                    String.format("%,.1f", r.conduit), String.format("%,.1f", r.reference), r.ratio());
        }
        System.out.printf("%nitems=%d singleItems=%d rttCalls=%d repeats=%d (throughput: medians) %s%n", ITEMS,
                SINGLE_ITEMS, RTT_CALLS, REPEATS, machine);
        String results = System.getProperty("conduit.bench.results");
        if (results != null) {
            writeResults(Path.of(results), rows, machine, when);
        }
        System.exit(0);
    }

    /** One throughput measurement; the argument is the repetition's number. */
    @FunctionalInterface
    private interface Measure {
        double run(int repetition) throws Exception;
    }

    /**
     * Runs the queue and its reference alternately, so both see the same machine, and returns the
     * median of each (short runs on a shared machine vary by 2-3x from one to the next).
     */
    private static double[] medians(int repeats, Measure queue, Measure reference) throws Exception {
        double[] q = new double[Math.max(1, repeats)];
        double[] r = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = queue.run(i);
            r[i] = reference.run(i);
        }
        java.util.Arrays.sort(q);
        java.util.Arrays.sort(r);
        return new double[] {q[q.length / 2], r[r.length / 2]};
    }

    /** One measured figure beside its reference. */
    private record Row(String measure, String unit, double conduit, double reference, boolean higherIsBetter,
            String target, Boolean met) {
        double ratio() {
            return conduit / reference;
        }
    }

    private static String machine() {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return Runtime.getRuntime().availableProcessors() + " cores, load average " + String.format("%.2f", load)
                + " at start, JDK " + Runtime.version();
    }

    /** Writes the figures in the shared benchmark results format (section "rpc"). */
    private static void writeResults(Path file, List<Row> rows, String machine, String when) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("section", "rpc");
        root.put("title", "queue-rpc over loopback");
        root.put("command", "java -cp <queue-rpc test class path> -Dconduit.bench.items=" + ITEMS
                + " -Dconduit.bench.singleItems=" + SINGLE_ITEMS + " -Dconduit.bench.rtt=" + RTT_CALLS
                + " -Dconduit.bench.repeats=" + REPEATS
                + " -Dconduit.bench.results=" + file + " " + RpcBenchmark.class.getName());
        root.put("machine", machine);
        root.put("when", when);
        ArrayNode out = root.putArray("rows");
        for (Row r : rows) {
            ObjectNode n = out.addObject();
            n.put("measure", r.measure);
            n.put("unit", r.unit);
            n.put("conduit", r.conduit);
            n.put("reference", r.reference);
            n.put("referenceName", r.unit.equals("us") ? "plain grpc-java unary echo"
                    : "plain grpc-java bidirectional stream");
            n.put("higherIsBetter", r.higherIsBetter);
            n.put("ratio", Math.round(r.ratio() * 100) / 100.0);
            if (r.target == null) {
                n.putNull("target");
                n.putNull("met");
            } else {
                n.put("target", r.target);
                n.put("met", r.met);
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        System.out.println("results written to " + file);
    }

    /**
     * One producer thread puts, one consumer thread gets, through the server, with the public API
     * a user would pick for throughput: single items go through {@code putAsync}, batches through
     * {@code putAllAsync} (both pipelined, at most {@link #ASYNC_WINDOW} items unacknowledged); the
     * consumer takes with {@code getBatch(take)}, one call at a time.
     */
    private static double queueThroughput(QueueDescriptor d, int items, int batch, int take) throws Exception {
        byte[] payload = new byte[ITEM];
        try (MessageQueue<byte[]> producer = d.open(Codecs.bytes()); MessageQueue<byte[]> consumer =
                d.open(Codecs.bytes())) {
            producer.size();
            consumer.size();
            AtomicLong received = new AtomicLong();
            Thread reader = new Thread(() -> {
                try {
                    while (received.get() < items) {
                        received.addAndGet(consumer.getBatch(take, Duration.ofSeconds(10)).size());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long start = System.nanoTime();
            reader.start();
            ArrayDeque<CompletableFuture<Void>> unacknowledged = new ArrayDeque<>();
            int window = Math.max(1, ASYNC_WINDOW / batch);
            List<byte[]> chunk = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                chunk.add(payload);
            }
            for (int i = 0; i < items; i += batch) {
                unacknowledged.add(batch == 1 ? producer.putAsync(payload) : producer.putAllAsync(chunk));
                if (unacknowledged.size() > window) {
                    unacknowledged.poll().get(60, TimeUnit.SECONDS);
                }
            }
            for (CompletableFuture<Void> f : unacknowledged) {
                f.get(60, TimeUnit.SECONDS);
            }
            reader.join(TimeUnit.SECONDS.toMillis(120));
            if (received.get() < items) {
                throw new IllegalStateException("the consumer got " + received.get() + " of " + items + " items");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            producer.destroy();
            return items / seconds;
        }
    }

    private static StreamObserver<byte[]> echoStream(StreamObserver<byte[]> responses) {
        return new StreamObserver<>() {
            @Override
            public void onNext(byte[] value) {
                responses.onNext(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }

    /** Sends items (or batches of items as one message) down a bidi stream, flow controlled, and counts the echoes. */
    private static double streamThroughput(ManagedChannel ch, int items, int batch) throws Exception {
        int messages = items / batch;
        byte[] message = new byte[ITEM * batch];
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong echoed = new AtomicLong();
        long start = System.nanoTime();
        ClientCalls.asyncBidiStreamingCall(ch.newCall(ECHO_STREAM, CallOptions.DEFAULT),
                new ClientResponseObserver<byte[], byte[]>() {
                    private int sent;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<byte[]> requests) {
                        requests.setOnReadyHandler(() -> {
                            while (requests.isReady() && sent < messages) {
                                requests.onNext(message);
                                sent++;
                            }
                            if (sent == messages) {
                                sent++;
                                requests.onCompleted();
                            }
                        });
                    }

                    @Override
                    public void onNext(byte[] value) {
                        echoed.incrementAndGet();
                    }

                    @Override
                    public void onError(Throwable t) {
                        t.printStackTrace();
                        done.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        done.countDown();
                    }
                });
        if (!done.await(300, TimeUnit.SECONDS) || echoed.get() != messages) {
            throw new IllegalStateException("echo stream did not finish: " + echoed.get() + " of " + messages);
        }
        return items / ((System.nanoTime() - start) / 1e9);
    }

    /** Unary put round trips against unary echo round trips, interleaved so both see the same machine. */
    private static Histogram[] rtt(QueueDescriptor d, ManagedChannel ch, int calls) throws Exception {
        Histogram queue = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Histogram echo = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        byte[] payload = new byte[ITEM];
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.size();
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                q.put(payload);
                long t1 = System.nanoTime();
                ClientCalls.blockingUnaryCall(ch, ECHO_UNARY, CallOptions.DEFAULT.withDeadlineAfter(10,
                        TimeUnit.SECONDS), payload);
                long t2 = System.nanoTime();
                queue.recordValue(t1 - t0);
                echo.recordValue(t2 - t1);
                if (q.capacity() - i % q.capacity() == 1) {
                    q.clear();
                }
            }
            q.destroy();
        }
        return new Histogram[] {queue, echo};
    }

    /** byte[] as it is. */
    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
