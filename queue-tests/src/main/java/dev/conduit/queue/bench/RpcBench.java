package dev.conduit.queue.bench;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.QueueServer;
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
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The benchmark of the rpc backend: the rpc queue, through its public API, against plain
 * grpc-java on loopback, in the same JVM and the same run: put&rarr;get throughput of 64-byte
 * items, one at a time ({@code putAsync}) and in batches of 100 ({@code putAllAsync}), taken with
 * {@code getBatch} (batches of 100 also by a consumer taking 100 per call, with and without
 * {@code prefetch=1000}), against a plain bidirectional stream echoing the same bytes; and unary put
 * round-trip time against a plain unary echo. Each throughput pair (queue, reference) runs
 * {@code repeats} times alternating and the medians are reported. Prints the table, writes the
 * results file when system property {@value BenchResults#RESULTS_PROPERTY} names one, and
 * rewrites the {@code rpc} section of docs/benchmarks.md and its chart.
 *
 * <p>Usage: {@code RpcBench [--quick] [--docs DIR | --no-docs]}. The full size is 200,000 items
 * for batches and the single-item reference, 20,000 single items through the queue, 20,000 round
 * trips and 3 repeats; {@code --quick} (a smoke run of a few seconds) is 10,000, 2,000, 1,000 and
 * 3. System properties {@code conduit.bench.items}, {@code conduit.bench.singleItems},
 * {@code conduit.bench.rtt} and {@code conduit.bench.repeats} override either size. It needs only
 * this JVM: the {@link QueueServer} and the echo server it starts listen on 127.0.0.1, on free
 * ports. {@code conduit bench --rpc} runs it from the jar.
 *
 * <p>Not thread-safe: one run at a time per JVM.
 */
public final class RpcBench {
    /** The section of docs/benchmarks.md this harness writes. */
    static final String SECTION = "rpc";

    private static final int ITEM = 64;
    private static final int BATCH = 100;
    /** Most items the producer leaves unacknowledged (putAsync futures, or putAllAsync batches' items). */
    private static final int ASYNC_WINDOW = 10_000;
    /** What the consumer asks getBatch for: up to this many, it takes what is there. */
    private static final int GET_BATCH = 1_000;
    /** The consumer's option prefetch in the row that uses it. */
    private static final int PREFETCH = 1_000;
    private static final int WARM_UP_ROUND_TRIPS = 2_000;
    private static final String STREAM_REFERENCE = "plain grpc-java bidirectional stream";
    private static final String UNARY_REFERENCE = "plain grpc-java unary echo";

    private static final MethodDescriptor<byte[], byte[]> ECHO_STREAM = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING).setFullMethodName("bench.Echo/Stream")
            .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
    private static final MethodDescriptor<byte[], byte[]> ECHO_UNARY = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("bench.Echo/Unary")
            .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();

    private RpcBench() {
    }

    /**
     * How much one run moves.
     *
     * @param items items per batched run, and per run of the single-item reference
     * @param singleItems items per single-item run through the queue
     * @param roundTrips unary round trips of each kind
     * @param repeats runs of each throughput pair; the medians are reported
     */
    private record Size(int items, int singleItems, int roundTrips, int repeats) {
        static final Size FULL = new Size(200_000, 20_000, 20_000, 3);
        static final Size QUICK = new Size(10_000, 2_000, 1_000, 3);

        /** @return this size with the system properties that override it applied */
        Size overridden() {
            return new Size(Integer.getInteger("conduit.bench.items", items),
                    Integer.getInteger("conduit.bench.singleItems", singleItems),
                    Integer.getInteger("conduit.bench.rtt", roundTrips),
                    Integer.getInteger("conduit.bench.repeats", repeats));
        }

        void check() {
            if (items < BATCH || items % BATCH != 0 || singleItems < 1 || roundTrips < 1 || repeats < 1) {
                throw new IllegalArgumentException("sizes must be positive and items a multiple of " + BATCH + ": "
                        + this);
            }
        }
    }

    /**
     * Runs the benchmark and exits with {@link #run}'s status (also on success: gRPC may leave
     * threads behind). The server's log is at level warn unless
     * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} says otherwise.
     *
     * @param args see the class comment
     */
    public static void main(String[] args) {
        // The server logs every queue it creates and destroys: dozens of lines per run, unless asked.
        System.getProperties().putIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.exit(run(System.out, args));
    }

    /**
     * Runs the benchmark and reports it.
     *
     * @param out where the table and progress go
     * @param args see the class comment
     * @return 0 on success, 2 for a bad command line, 1 when a measurement failed or a file could
     *     not be written; a missed target is reported, not an error
     */
    public static int run(PrintStream out, String... args) {
        Size size = Size.FULL;
        Path docs = Path.of("docs");
        boolean writeDocs = true;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> size = Size.QUICK;
                    case "--docs" -> {
                        if (++i == args.length) {
                            throw new IllegalArgumentException("--docs needs a value");
                        }
                        docs = Path.of(args[i]);
                    }
                    case "--no-docs" -> writeDocs = false;
                    case "--help", "-h" -> {
                        out.println("Usage: RpcBench [--quick] [--docs DIR | --no-docs]");
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            size = size.overridden();
            size.check();
        } catch (IllegalArgumentException e) {
            out.println("bench: " + e.getMessage());
            return 2;
        }
        String command = System.getProperty("conduit.bench.command", "java -cp CLASSPATH " + RpcBench.class.getName()
                + (args.length == 0 ? "" : " " + String.join(" ", args)));
        Size chosen = size;
        return ResultsReport.publish(out, "rpc", () -> measure(out, chosen, command), writeDocs ? docs : null);
    }

    private static BenchResults measure(PrintStream out, Size size, String command) throws Exception {
        MachineInfo machine = MachineInfo.current();
        int items = size.items();
        int singleItems = size.singleItems();
        out.printf(Locale.ROOT, "rpc benchmark: %,d items (batches, and the single-item reference), %,d single "
                + "items, %,d round trips, %d repeats (throughput: medians)%n", items, singleItems, size.roundTrips(),
                size.repeats());
        ExecutorService echoExecutor = Executors.newFixedThreadPool(4);
        Server echo = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .executor(echoExecutor)
                .addService(ServerServiceDefinition.builder("bench.Echo")
                        .addMethod(ECHO_STREAM, ServerCalls.asyncBidiStreamingCall(RpcBench::echoStream))
                        .addMethod(ECHO_UNARY, ServerCalls.asyncUnaryCall((req, reply) -> {
                            reply.onNext(req);
                            reply.onCompleted();
                        }))
                        .build())
                .build().start();
        ManagedChannel echoChannel = ManagedChannelBuilder.forAddress("127.0.0.1", echo.getPort()).usePlaintext()
                .build();
        List<BenchResults.Row> rows = new ArrayList<>();
        try (QueueServer server = QueueServer.builder().port(0).start()) {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", server.port(), "bench").withCapacity(100_000);
            out.println("  warm-up: every shape once on each side, not reported");
            queueThroughput(d.withId("warm-1"), singleItems, 1, GET_BATCH);
            queueThroughput(d.withId("warm-2"), items, BATCH, GET_BATCH);
            queueThroughput(d.withId("warm-3"), items / 4, BATCH, BATCH);
            queueThroughput(d.withId("warm-5"), items / 4, BATCH, BATCH, PREFETCH);
            streamThroughput(echoChannel, singleItems, 1);
            streamThroughput(echoChannel, items, BATCH);
            rtt(d.withId("warm-4"), echoChannel, Math.min(WARM_UP_ROUND_TRIPS, size.roundTrips()));

            out.println("  single items: putAsync + getBatch(1000), against the stream echoing 64 B messages");
            double[] single = medians(size.repeats(), r -> queueThroughput(d.withId("single-" + r), singleItems, 1,
                    GET_BATCH), r -> streamThroughput(echoChannel, items, 1));
            rows.add(row("put->get throughput, single 64 B items (putAsync + getBatch(1000))", "items/s", single,
                    STREAM_REFERENCE, true, null, null));
            out.println("  batches of 100: putAllAsync + getBatch(1000), against the stream echoing 6,400 B messages");
            double[] batch = medians(size.repeats(), r -> queueThroughput(d.withId("batch-" + r), items, BATCH,
                    GET_BATCH), r -> streamThroughput(echoChannel, items, BATCH));
            rows.add(row("put->get throughput, batches of 100 x 64 B (putAllAsync + getBatch(1000))", "items/s",
                    batch, STREAM_REFERENCE, true, ">= 0.8x the reference and >= 1,000,000 items/s",
                    batch[0] >= 0.8 * batch[1] && batch[0] >= 1_000_000));
            out.println("  batches of 100: putAllAsync + getBatch(100)");
            double[] batch100 = medians(size.repeats(), r -> queueThroughput(d.withId("batch-100-" + r), items, BATCH,
                    BATCH), r -> streamThroughput(echoChannel, items, BATCH));
            // The target is for batches of 100; this shape (the consumer also takes 100 per
            // call, as the reference's messages hold) carries it too, so a reader sees both verdicts.
            rows.add(row("put->get throughput, batches of 100 x 64 B (putAllAsync + getBatch(100))", "items/s",
                    batch100, STREAM_REFERENCE, true, ">= 0.8x the reference and >= 1,000,000 items/s",
                    batch100[0] >= 0.8 * batch100[1] && batch100[0] >= 1_000_000));
            out.println("  batches of 100: putAllAsync + getBatch(100), consumer prefetch=" + PREFETCH);
            double[] prefetched = medians(size.repeats(), r -> queueThroughput(d.withId("batch-prefetch-" + r), items,
                    BATCH, BATCH, PREFETCH), r -> streamThroughput(echoChannel, items, BATCH));
            rows.add(row("put->get throughput, batches of 100 x 64 B (putAllAsync + getBatch(100), consumer "
                    + "prefetch=" + PREFETCH + ")", "items/s", prefetched, STREAM_REFERENCE, true,
                    ">= 0.8x the reference and >= 1,000,000 items/s",
                    prefetched[0] >= 0.8 * prefetched[1] && prefetched[0] >= 1_000_000));
            out.println("  unary put round trips, alternating with unary echoes");
            Histogram[] h = rtt(d.withId("rtt"), echoChannel, size.roundTrips());
            double[] p50 = {h[0].getValueAtPercentile(50) / 1000.0, h[1].getValueAtPercentile(50) / 1000.0};
            double[] p99 = {h[0].getValueAtPercentile(99) / 1000.0, h[1].getValueAtPercentile(99) / 1000.0};
            rows.add(row("unary put round trip p50", "us", p50, UNARY_REFERENCE, false, "<= 1.3x the reference",
                    p50[0] <= 1.3 * p50[1]));
            rows.add(row("unary put round trip p99", "us", p99, UNARY_REFERENCE, false, null, null));
        } finally {
            echoChannel.shutdownNow();
            echo.shutdownNow();
            echoExecutor.shutdownNow();
        }
        return BenchResults.now(SECTION, "queue-rpc over loopback", command,
                machine.describe(MachineInfo.currentLoadAverage()), rows);
    }

    /** A row of {conduit, reference}; the ratio is rounded to two decimals. */
    private static BenchResults.Row row(String measure, String unit, double[] figures, String referenceName,
            boolean higherIsBetter, String target, Boolean met) {
        double ratio = Math.round(figures[0] / figures[1] * 100) / 100.0;
        return new BenchResults.Row(measure, unit, figures[0], figures[1], referenceName, higherIsBetter, ratio,
                target, met);
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
        Arrays.sort(q);
        Arrays.sort(r);
        return new double[] {q[q.length / 2], r[r.length / 2]};
    }

    /**
     * One producer thread puts, one consumer thread gets, through the server, with the public API
     * a user would pick for throughput: single items go through {@code putAsync}, batches through
     * {@code putAllAsync} (both pipelined, at most {@link #ASYNC_WINDOW} items unacknowledged); the
     * consumer takes with {@code getBatch(take)}, one call at a time.
     */
    private static double queueThroughput(QueueDescriptor d, int items, int batch, int take) throws Exception {
        return queueThroughput(d, items, batch, take, 0);
    }

    /** As {@link #queueThroughput(QueueDescriptor, int, int, int)}, the consumer's handle with option prefetch. */
    private static double queueThroughput(QueueDescriptor d, int items, int batch, int take, int prefetch)
            throws Exception {
        byte[] payload = new byte[ITEM];
        QueueDescriptor consuming = prefetch > 0 ? d.withOption("prefetch", Integer.toString(prefetch)) : d;
        try (MessageQueue<byte[]> producer = d.open(Codecs.bytes()); MessageQueue<byte[]> consumer =
                consuming.open(Codecs.bytes())) {
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
            reader.setDaemon(true);
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
