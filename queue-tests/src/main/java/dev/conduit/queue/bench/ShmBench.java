package dev.conduit.queue.bench;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.codec.RecyclingCodec;
import dev.conduit.queue.shm.JournalQueues;
import dev.conduit.queue.shm.ShmQueues;
import dev.conduit.queue.shm.ShmReader;
import dev.conduit.queue.shm.ShmRecordHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The multi-process benchmark of the shm backend: every figure comes from a producer process and
 * a consumer process started here, measured in the same run as its reference: Chronicle Queue
 * append + tail and Agrona's {@code OneToOneRingBuffer} over a mapped file (throughput of 64-byte
 * messages), a busy-spin ping-pong on two cache lines of a shared mapping (the hardware's round
 * trip), {@code System.arraycopy} of 1 MiB (for {@code float[]} items), and the shm bytes codec
 * (for objects through the default codec). Prints the table, writes the results file when system
 * property {@value BenchResults#RESULTS_PROPERTY} names one, and rewrites the {@code shm} section of
 * docs/benchmarks.md and its chart.
 *
 * <p>The shm producer calls {@code put} for each item; its consumer is measured twice, once with
 * {@code get} per item and once with {@code getBatch}, as a consumer that wants throughput would
 * take (Agrona's consumer also reads every record available at once); the {@code getBatch} pair
 * runs again on a queue created with {@code producers=single} (docs/shm.md), whose puts skip the
 * atomics only several producing processes need, and on one created with {@code producers=single}
 * and {@code consumers=single}, the one-to-one ring with dense slots whose consumer frees a batch
 * with one store (the shape of Agrona's {@code OneToOneRingBuffer}), and on that ring with
 * {@code threads=confined}: one thread per side, Agrona's contract too, so no turn lock on either
 * side; and on that confined ring once more with the consumer reading through a zero-copy
 * {@code ShmReader} (docs/shm.md, "Zero-copy reading"), which copies each record into one reused
 * {@code byte[]} exactly as the Agrona consumer does. A throughput figure is the
 * consumer's rate after the first {@value #WARM_UP_PERCENT}% of the items, for every contender
 * alike, so that start-up and JIT compilation are not measured. The {@code float[]} children follow
 * docs/shm.md's tuning section for items of that size: a short ring ({@link #FLOATS_CAPACITY}), a
 * consumer that hands each array back to a {@code RecyclingCodec} once it has read it, and
 * {@link #FLOATS_JVM_FLAGS}.
 *
 * <p>Usage: {@code ShmBench [--quick | --scale X] [--docs DIR | --no-docs] [--throughput-only N]};
 * {@code --throughput-only N} runs only the 64-byte throughput pairs (Agrona, Chronicle, shm,
 * shm with {@code producers=single}, shm with {@code consumers=single} too, with
 * {@code threads=confined}, and that with the zero-copy reader) N times in turn, prints each round's ratios and writes nothing.
 * Scale 1.0 (the default) is {@value #MESSAGES} messages, 100,000 round trips, 20,000 arrays of 1 MiB and 300,000 objects;
 * {@code --quick} is scale 0.05. Children are started with this JVM's {@code java.class.path}, so
 * it runs from the {@code conduit} jar ({@code conduit bench --shm}) as from a build's class path.
 * Children get Chronicle's JVM flags ({@link JournalQueues#jvmFlags()}) and, for Agrona,
 * {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED}.
 *
 * <p>Not thread-safe: one run at a time per JVM.
 */
public final class ShmBench {
    /** The section of docs/benchmarks.md this harness writes. */
    static final String SECTION = "shm";

    private static final int MESSAGE = 64;
    private static final int FLOATS = 1 << 18;
    private static final int WARM_UP_ROUNDS = 10_000;
    /** The share of a throughput run's items taken before the consumer's clock starts, in percent. */
    private static final int WARM_UP_PERCENT = 20;
    /**
     * 64-byte messages per throughput pair at scale 1. Ten million, not two: at two million the
     * first 20% (well under a second) ended before both JVMs had compiled shm's put and get paths, so
     * the measured part still ran partly interpreted, and the smaller Agrona and Chronicle paths did
     * not (shm rose by 1.3-1.9x at ten million; Agrona did not move).
     */
    private static final long MESSAGES = 10_000_000;
    /**
     * The JVM flags of the {@code float[]} children, as docs/shm.md's tuning section tells users of
     * large items: G1 regions large enough that a 1 MiB array is not a humongous object (with the
     * default 1 MiB regions of a 512 MiB heap it is, and each one costs two regions and can start a
     * concurrent cycle).
     */
    static final List<String> FLOATS_JVM_FLAGS = List.of("-XX:G1HeapRegionSize=4m");
    /**
     * The capacity of the {@code float[]} queue: docs/shm.md's tuning section tells users of items of
     * a megabyte or more to keep the ring a few items long, so that the slots stay in cache between
     * the two processes' copies (a ring of 8 such items is 8 MiB, beyond this machine's 2 MiB L2).
     */
    static final int FLOATS_CAPACITY = 4;
    /** How long a consumer waits for an item before it checks whether the rest were lost. */
    private static final Duration IDLE_CHECK = Duration.ofSeconds(2);
    /** What a batch consumer asks {@code getBatch} for (as the rpc harness does for single items). */
    private static final int GET_BATCH = 1_000;
    private static final double QUICK_SCALE = 0.05;
    private static final long CHILD_TIME_LIMIT_SECONDS = 600;
    private static final String CHILD = "child";
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private ShmBench() {
    }

    /**
     * Runs the benchmark (parent) or one of its roles (child: {@code child ROLE DIR COUNT}), and
     * exits with a non-zero status when {@link #run} fails.
     *
     * @param args see the class comment
     * @throws Exception when a child role fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals(CHILD)) {
            child(args[1], Path.of(args[2]), Long.parseLong(args[3]));
            return;
        }
        int status = run(System.out, args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the benchmark and reports it.
     *
     * @param out where the table and progress go
     * @param args see the class comment
     * @return 0 on success, 2 for a bad command line, 1 when a child failed or a file could not
     *     be written; a missed target is reported, not an error
     */
    public static int run(PrintStream out, String... args) {
        double scale = 1.0;
        Path docs = Path.of("docs");
        boolean writeDocs = true;
        int throughputRounds = 0;
        boolean throughputOnly = false;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> scale = QUICK_SCALE;
                    case "--scale" -> scale = Double.parseDouble(value(args, ++i, "--scale"));
                    case "--docs" -> docs = Path.of(value(args, ++i, "--docs"));
                    case "--no-docs" -> writeDocs = false;
                    case "--throughput-only" -> {
                        throughputOnly = true;
                        throughputRounds = Integer.parseInt(value(args, ++i, "--throughput-only"));
                    }
                    case "--help", "-h" -> {
                        out.println("Usage: ShmBench [--quick | --scale X] [--docs DIR | --no-docs]"
                                + " [--throughput-only ROUNDS]");
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            if (!(scale > 0 && scale <= 10)) {
                throw new IllegalArgumentException("--scale must be above 0 and at most 10, not " + scale);
            }
            if (throughputOnly && throughputRounds < 1) {
                throw new IllegalArgumentException("--throughput-only takes a number of rounds, at least 1, not "
                        + throughputRounds);
            }
        } catch (IllegalArgumentException e) {
            out.println("bench: " + e.getMessage());
            return 2;
        }
        String command = System.getProperty("conduit.bench.command", "java -cp CLASSPATH " + ShmBench.class.getName()
                + (args.length == 0 ? "" : " " + String.join(" ", args)));
        double chosen = scale;
        if (throughputRounds > 0) {
            try {
                throughput(out, chosen, throughputRounds);
                return 0;
            } catch (Exception e) {
                out.println("bench: " + e);
                return 1;
            }
        }
        return ResultsReport.publish(out, "shm", () -> measure(out, chosen, command), writeDocs ? docs : null);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static BenchResults measure(PrintStream out, double scale, String command) throws Exception {
        MachineInfo machine = MachineInfo.current();
        Path shm = Path.of("/dev/shm");
        Path dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty(
                "java.io.tmpdir")), "conduit-bench");
        try {
            long messages = (long) (MESSAGES * scale);
            long rounds = (long) (100_000 * scale);
            // Enough arrays that the measured part lasts most of a second at tens of GB/s.
            long arrays = Math.max(500, (long) (20_000 * scale));
            long objects = (long) (300_000 * scale);
            out.printf(Locale.ROOT, "shm benchmark, scale %s: %,d messages, %,d round trips, %,d arrays of 1 MiB, "
                    + "%,d objects%n", scale, messages, rounds, arrays, objects);
            double shmRate = pair(out, dir, "shm", messages);
            double shmBatchRate = pair(out, dir, "shm-batches", messages);
            double singleProducerBatchRate = pair(out, dir, "shm-single-batches", messages);
            double oneToOneBatchRate = pair(out, dir, "shm-solo-batches", messages);
            double confinedRate = pair(out, dir, "shm-confined-batches", messages);
            double readerRate = pair(out, dir, "shm-reader", messages);
            double chronicleRate = pair(out, dir, "chronicle", messages);
            double agronaRate = pair(out, dir, "agrona", messages);
            double[] shmRoundTrip = pingPong(out, dir, "shm", rounds);
            double[] floorRoundTrip = pingPong(out, dir, "spin", rounds);
            double floatsGbPerSecond = pair(out, dir, "floats", arrays) * FLOATS * Float.BYTES / 1e9;
            double plainFloatsGbPerSecond = pair(out, dir, "floats-plain", arrays) * FLOATS * Float.BYTES / 1e9;
            double arraycopyGbPerSecond = arraycopyGbPerSecond();
            double objectRate = pair(out, dir, "objects", objects);

            String batches = "throughput, 64-byte items, bytes codec: put + getBatch(" + GET_BATCH + ")";
            String singles = "throughput, 64-byte items, bytes codec: put + get";
            String singleProducer = "throughput, 64-byte items, bytes codec, producers=single: put + getBatch("
                    + GET_BATCH + ")";
            String oneToOne = "throughput, 64-byte items, bytes codec, producers=single consumers=single: put + "
                    + "getBatch(" + GET_BATCH + ")";
            String confined = "throughput, 64-byte items, bytes codec, producers=single consumers=single"
                    + " threads=confined: put + getBatch(" + GET_BATCH + ")";
            String reader = "throughput, 64-byte items, bytes codec, producers=single consumers=single"
                    + " threads=confined: put + zero-copy read(" + GET_BATCH + ") into one reused byte[]";
            String chronicle = "Chronicle Queue append + tail";
            String agrona = "Agrona OneToOneRingBuffer, mapped file";
            List<BenchResults.Row> rows = List.of(
                    BenchResults.Row.measured(batches, "msgs/s", shmBatchRate, chronicleRate, chronicle, true, 1.0),
                    BenchResults.Row.measured(batches, "msgs/s", shmBatchRate, agronaRate, agrona, true, 1.0),
                    BenchResults.Row.measured(singleProducer, "msgs/s", singleProducerBatchRate, chronicleRate,
                            chronicle, true, 1.0),
                    BenchResults.Row.measured(singleProducer, "msgs/s", singleProducerBatchRate, agronaRate, agrona,
                            true, 1.0),
                    BenchResults.Row.measured(oneToOne, "msgs/s", oneToOneBatchRate, chronicleRate, chronicle, true,
                            1.0),
                    BenchResults.Row.measured(oneToOne, "msgs/s", oneToOneBatchRate, agronaRate, agrona, true, 1.0),
                    BenchResults.Row.measured(confined, "msgs/s", confinedRate, chronicleRate, chronicle, true, 1.0),
                    BenchResults.Row.measured(confined, "msgs/s", confinedRate, agronaRate, agrona, true, 1.0),
                    BenchResults.Row.measured(reader, "msgs/s", readerRate, chronicleRate, chronicle, true, 1.0),
                    BenchResults.Row.measured(reader, "msgs/s", readerRate, agronaRate, agrona, true, 1.0),
                    BenchResults.Row.measured(singles, "msgs/s", shmRate, chronicleRate, chronicle, true, 1.0),
                    BenchResults.Row.measured(singles, "msgs/s", shmRate, agronaRate, agrona, true, 1.0),
                    BenchResults.Row.measured("ping-pong round trip, median", "ns", shmRoundTrip[0],
                            floorRoundTrip[0], "busy-spin cache-line ping-pong", false, 2.5),
                    BenchResults.Row.measured("ping-pong round trip, p99", "ns", shmRoundTrip[1], floorRoundTrip[1],
                            "busy-spin cache-line ping-pong", false, null),
                    BenchResults.Row.measured("1 MiB float[] via Codecs.floats(), consumer recycling its arrays "
                            + "(RecyclingCodec), capacity " + FLOATS_CAPACITY + " (" + String.join(" ", FLOATS_JVM_FLAGS)
                            + ", see docs/shm.md)", "GB/s", floatsGbPerSecond, arraycopyGbPerSecond,
                            "System.arraycopy of 1 MiB, one process", true, 0.4),
                    BenchResults.Row.measured("1 MiB float[] via Codecs.floats(), a fresh array per item (no "
                            + "recycling), capacity " + FLOATS_CAPACITY, "GB/s", plainFloatsGbPerSecond,
                            arraycopyGbPerSecond, "System.arraycopy of 1 MiB, one process", true, null),
                    BenchResults.Row.measured("object items, default codec (Kryo): put + get", "msgs/s", objectRate,
                            shmRate, "the same queue with the bytes codec", true, null));
            return BenchResults.now(SECTION, "Shared memory: `shm` between two processes", command,
                    machine.describe(MachineInfo.currentLoadAverage()), rows);
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * The 64-byte throughput pairs only, {@code rounds} times in turn, each shm figure as a ratio to
     * the references of its own round: a short, targeted run that writes no results and no docs.
     */
    private static void throughput(PrintStream out, double scale, int rounds) throws Exception {
        Path shm = Path.of("/dev/shm");
        Path dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty(
                "java.io.tmpdir")), "conduit-bench");
        try {
            long messages = (long) (MESSAGES * scale);
            for (int r = 0; r < rounds; r++) {
                double agrona = pair(out, dir, "agrona", messages);
                double chronicle = pair(out, dir, "chronicle", messages);
                double batches = pair(out, dir, "shm-batches", messages);
                double single = pair(out, dir, "shm-single-batches", messages);
                double solo = pair(out, dir, "shm-solo-batches", messages);
                double confined = pair(out, dir, "shm-confined-batches", messages);
                double reader = pair(out, dir, "shm-reader", messages);
                out.printf(Locale.ROOT, "round %d: agrona %.2f M/s, chronicle %.2f M/s; shm put+getBatch %.2f M/s"
                        + " (%.2fx agrona, %.2fx chronicle); producers=single %.2f M/s (%.2fx agrona, %.2fx chronicle,"
                        + " %.2fx multi); producers=single consumers=single %.2f M/s (%.2fx agrona, %.2fx chronicle,"
                        + " %.2fx multi); threads=confined %.2f M/s (%.2fx agrona, %.2fx chronicle, %.2fx multi,"
                        + " %.2fx threads=shared); threads=confined + zero-copy read %.2f M/s (%.2fx agrona,"
                        + " %.2fx chronicle, %.2fx confined getBatch)%n", r,
                        agrona / 1e6, chronicle / 1e6, batches / 1e6, batches / agrona,
                        batches / chronicle, single / 1e6, single / agrona, single / chronicle, single / batches,
                        solo / 1e6, solo / agrona, solo / chronicle, solo / batches, confined / 1e6,
                        confined / agrona, confined / chronicle, confined / batches, confined / solo,
                        reader / 1e6, reader / agrona, reader / chronicle, reader / confined);
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static double arraycopyGbPerSecond() {
        float[] a = new float[FLOATS];
        float[] b = new float[FLOATS];
        for (int i = 0; i < 500; i++) {
            System.arraycopy(a, 0, b, 0, a.length);
        }
        int reps = 3000;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            a[i & 1023] = i;
            System.arraycopy(a, 0, b, 0, a.length);
        }
        long ns = System.nanoTime() - t0;
        return (double) reps * FLOATS * Float.BYTES / ns;
    }

    // ---- orchestration

    private static Process start(String role, Path dir, long count) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JournalQueues.jvmFlags());
        cmd.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"); // Agrona 2 reads its Unsafe
        if (role.startsWith("floats-")) {
            cmd.addAll(FLOATS_JVM_FLAGS);
        }
        cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), ShmBench.class.getName(), CHILD,
                role, dir.toString(), Long.toString(count)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture.delayedExecutor(CHILD_TIME_LIMIT_SECONDS, TimeUnit.SECONDS).execute(p::destroyForcibly);
        return p;
    }

    /** @return items per second seen by the consumer process */
    private static double pair(PrintStream out, Path dir, String kind, long count) throws Exception {
        out.println("  " + kind + ": producer process -> consumer process, " + count + " items");
        return twoProcesses(dir, kind + "-consume", kind + "-produce", count, true)[0];
    }

    /** @return {median, p99} of the round trip in ns, as the pinging process measured it */
    private static double[] pingPong(PrintStream out, Path dir, String kind, long rounds) throws Exception {
        out.println("  " + kind + ": ping-pong between two processes, " + rounds + " round trips");
        return twoProcesses(dir, kind + "-pong", kind + "-ping", rounds, false);
    }

    /**
     * Runs two roles on a fresh directory, the waiting one first, and reads the result one of them
     * prints.
     *
     * @param resultFromFirst whether the result comes from {@code first} (else from {@code second})
     */
    private static double[] twoProcesses(Path dir, String first, String second, long count, boolean resultFromFirst)
            throws Exception {
        Path sub = Files.createTempDirectory(dir, first);
        Process waiting = start(first, sub, count);
        Process starting = null;
        try {
            Thread.sleep(300);
            starting = start(second, sub, count);
            return resultOf(resultFromFirst ? waiting : starting);
        } finally {
            stop(starting);
            stop(waiting);
        }
    }

    /** Lets a child that is done exit on its own for a while, then kills it. */
    private static void stop(Process p) throws InterruptedException {
        if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    private static double[] resultOf(Process p) throws IOException {
        StringBuilder all = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                if (line.startsWith("RESULT ")) {
                    return Stream.of(line.substring(7).split(" ")).mapToDouble(Double::parseDouble).toArray();
                }
                all.append(line).append('\n');
            }
        }
        throw new IllegalStateException("benchmark child gave no result (killed after " + CHILD_TIME_LIMIT_SECONDS
                + " s, or failed):\n" + all);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    // ---- children

    private static QueueDescriptor shm(Path dir, String id, int capacity, int itemSize) {
        return QueueDescriptor.shm(id).withNamespace("bench").withCapacity(capacity).withOption("dir", dir.toString())
                .withOption("itemSize", Integer.toString(itemSize)).withOption("idle", "busy-spin");
    }

    /** The same queue in single-producer mode (docs/shm.md, option {@code producers}). */
    private static QueueDescriptor singleProducer(QueueDescriptor d) {
        return d.withOption("producers", "single");
    }

    /** The same queue as a one-to-one ring (docs/shm.md, options {@code producers} and {@code consumers}). */
    private static QueueDescriptor oneToOne(QueueDescriptor d) {
        return d.withOption("producers", "single").withOption("consumers", "single");
    }

    /** The one-to-one ring with thread-confined handles (docs/shm.md, option {@code threads}). */
    private static QueueDescriptor confined(QueueDescriptor d) {
        return oneToOne(d).withOption("threads", "confined");
    }

    private static void child(String role, Path dir, long n) throws Exception {
        switch (role) {
            case "shm-produce", "shm-batches-produce" -> produce(shm(dir, "tp", 8192, MESSAGE).open(Codecs.bytes()),
                    new byte[MESSAGE], n);
            case "shm-consume" -> consume(shm(dir, "tp", 8192, MESSAGE).open(Codecs.bytes()), n);
            case "shm-batches-consume" -> consumeBatches(shm(dir, "tp", 8192, MESSAGE).open(Codecs.bytes()), n);
            case "shm-single-batches-produce" -> produce(singleProducer(shm(dir, "sp", 8192, MESSAGE))
                    .open(Codecs.bytes()), new byte[MESSAGE], n);
            case "shm-single-batches-consume" -> consumeBatches(singleProducer(shm(dir, "sp", 8192, MESSAGE))
                    .open(Codecs.bytes()), n);
            case "shm-solo-batches-produce" -> produce(oneToOne(shm(dir, "oo", 8192, MESSAGE)).open(Codecs.bytes()),
                    new byte[MESSAGE], n);
            case "shm-solo-batches-consume" -> consumeBatches(oneToOne(shm(dir, "oo", 8192, MESSAGE))
                    .open(Codecs.bytes()), n);
            case "shm-confined-batches-produce" -> produce(
                    confined(shm(dir, "cf", 8192, MESSAGE)).open(Codecs.bytes()), new byte[MESSAGE], n);
            case "shm-confined-batches-consume" -> consumeBatches(confined(shm(dir, "cf", 8192, MESSAGE))
                    .open(Codecs.bytes()), n);
            case "shm-reader-produce" -> produce(confined(shm(dir, "zr", 8192, MESSAGE)).open(Codecs.bytes()),
                    new byte[MESSAGE], n);
            case "shm-reader-consume" -> consumeInPlace(confined(shm(dir, "zr", 8192, MESSAGE)), n);
            case "floats-produce" -> produce(shm(dir, "fl", FLOATS_CAPACITY, FLOATS * Float.BYTES)
                    .open(Codecs.floats()), new float[FLOATS], n);
            case "floats-plain-produce" -> produce(shm(dir, "fp", FLOATS_CAPACITY, FLOATS * Float.BYTES)
                    .open(Codecs.floats()), new float[FLOATS], n);
            case "floats-plain-consume" -> consume(shm(dir, "fp", FLOATS_CAPACITY, FLOATS * Float.BYTES)
                    .open(Codecs.floats()), n);
            case "floats-consume" -> {
                RecyclingCodec<float[]> floats = RecyclingCodec.of(Codecs.floats());
                consume(shm(dir, "fl", FLOATS_CAPACITY, FLOATS * Float.BYTES).open(floats), n, floats::recycle);
            }
            case "objects-produce" -> {
                try (MessageQueue<Object> q = shm(dir, "ob", 8192, 256).open()) {
                    for (long i = 0; i < n; i++) {
                        q.put(List.of("order", i, 3.5));
                    }
                }
            }
            case "objects-consume" -> consume(shm(dir, "ob", 8192, 256).open(), n);
            case "chronicle-produce" -> chronicleProduce(dir, n);
            case "chronicle-consume" -> chronicleConsume(dir, n);
            case "agrona-produce", "agrona-consume" -> agrona(role.endsWith("produce"), dir, n);
            case "shm-ping", "shm-pong" -> shmPingPong(role.endsWith("ping"), dir, n);
            case "spin-ping", "spin-pong" -> spinPingPong(role.endsWith("ping"), dir, n);
            default -> throw new IllegalArgumentException("no benchmark role '" + role + "'");
        }
    }

    private static <T> void produce(MessageQueue<T> queue, T item, long n) throws InterruptedException {
        try (MessageQueue<T> q = queue) {
            for (long i = 0; i < n; i++) {
                q.put(item);
            }
        }
    }

    /**
     * Takes {@code n} items one {@code get()} at a time; ends early only when the queue counts the
     * missing items as lost ({@link #lost}).
     */
    private static void consume(MessageQueue<?> queue, long n) throws InterruptedException {
        consume(queue, n, item -> { });
    }

    /** As {@link #consume(MessageQueue, long)}, handing each item to {@code done} once taken. */
    private static <T> void consume(MessageQueue<T> queue, long n, Consumer<T> done) throws InterruptedException {
        try (MessageQueue<T> q = queue) {
            Meter meter = new Meter(n);
            for (long got = 0; got < n;) {
                try {
                    done.accept(q.get(IDLE_CHECK));
                } catch (QueueEmptyException e) {
                    if (lost(q, got, n)) {
                        break;
                    }
                    continue;
                }
                got++;
                meter.took(1);
            }
            result(meter.rate());
        }
    }

    /** Takes {@code n} items with {@code getBatch}, as a consumer that wants throughput would. */
    private static void consumeBatches(MessageQueue<?> queue, long n) throws InterruptedException {
        try (MessageQueue<?> q = queue) {
            Meter meter = new Meter(n);
            for (long got = 0; got < n;) {
                int k = q.getBatch(GET_BATCH, IDLE_CHECK).size();
                if (k == 0 && lost(q, got, n)) {
                    break;
                }
                got += k;
                meter.took(k);
            }
            result(meter.rate());
        }
    }

    /**
     * Takes {@code n} items with a zero-copy {@link ShmReader}, copying each record into one reused
     * array: the same work per record as the Agrona consumer ({@link #agrona}), which spins on its
     * ring's {@code read} the same way.
     */
    private static void consumeInPlace(QueueDescriptor d, long n) {
        try (ShmReader reader = ShmQueues.reader(d)) {
            byte[] m = new byte[MESSAGE];
            ShmRecordHandler copy = (buffer, offset, length) -> buffer.get(offset, m, 0, length);
            Meter meter = new Meter(n);
            for (long got = 0; got < n;) {
                int k = reader.read(copy, GET_BATCH);
                got += k;
                meter.took(k);
            }
            result(meter.rate());
        }
    }

    /**
     * Whether the items a consumer still waits for were counted lost: a consumer held off its core
     * for longer than the stall timeout between claiming an item and tagging it loses that item
     * (at-most-once, see docs/shm.md), which on a loaded machine would otherwise leave the run
     * waiting for it until the child time limit.
     */
    private static boolean lost(MessageQueue<?> q, long got, long n) {
        if (got + q.metrics().dropped() < n) {
            return false;
        }
        System.err.println("bench: " + (n - got) + " items were counted lost (consumer descheduled past the stall "
                + "timeout); the rate covers the rest");
        return true;
    }

    /**
     * The consumer's clock: it starts once the first {@value #WARM_UP_PERCENT}% of the items have been
     * taken, so that start-up and JIT compilation (which on a small machine competes with the two
     * spinning processes for cores) are not measured; the same for every contender. Not thread-safe.
     */
    static final class Meter {
        private final long warmUp;
        private long taken;
        private long t0;
        private long takenAtT0;

        Meter(long total) {
            this.warmUp = Math.min(total - 1, total * WARM_UP_PERCENT / 100);
        }

        void took(long k) {
            long before = taken;
            taken += k;
            if (before <= warmUp && taken > warmUp) {
                t0 = System.nanoTime();
                takenAtT0 = taken;
            }
        }

        /** @return items per second after the warm-up */
        double rate() {
            return (taken - takenAtT0) * 1e9 / (System.nanoTime() - t0);
        }
    }

    private static void chronicleProduce(Path dir, long n) {
        try (ChronicleQueue cq = ChronicleQueue.singleBuilder(dir.resolve("cq")).build();
                ExcerptAppender app = cq.createAppender()) {
            byte[] m = new byte[MESSAGE];
            for (long i = 0; i < n; i++) {
                try (DocumentContext dc = app.writingDocument()) {
                    dc.wire().bytes().write(m);
                }
            }
        }
    }

    private static void chronicleConsume(Path dir, long n) {
        try (ChronicleQueue cq = ChronicleQueue.singleBuilder(dir.resolve("cq")).build();
                ExcerptTailer t = cq.createTailer()) {
            byte[] m = new byte[MESSAGE];
            Meter meter = new Meter(n);
            for (long got = 0; got < n;) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (dc.isPresent()) {
                        dc.wire().bytes().read(m);
                        got++;
                        meter.took(1);
                    }
                }
            }
            result(meter.rate());
        }
    }

    private static void result(double... values) {
        StringBuilder b = new StringBuilder("RESULT");
        for (double v : values) {
            b.append(' ').append(v);
        }
        System.out.println(b);
        System.out.flush();
    }

    private static MappedByteBuffer map(Path file, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            b.order(ByteOrder.nativeOrder());
            return b;
        }
    }

    private static void agrona(boolean produce, Path dir, long n) throws IOException {
        int capacity = 1 << 20;
        MappedByteBuffer mapped = map(dir.resolve("agrona"), capacity + RingBufferDescriptor.TRAILER_LENGTH);
        OneToOneRingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(mapped));
        if (produce) {
            UnsafeBuffer m = new UnsafeBuffer(new byte[MESSAGE]);
            for (long i = 0; i < n; i++) {
                while (!ring.write(1, m, 0, MESSAGE)) {
                    Thread.onSpinWait();
                }
            }
            return;
        }
        byte[] m = new byte[MESSAGE];
        Meter meter = new Meter(n);
        for (long got = 0; got < n;) {
            int k = ring.read((type, buffer, index, length) -> buffer.getBytes(index, m, 0, length));
            got += k;
            meter.took(k);
        }
        result(meter.rate());
    }

    private static void shmPingPong(boolean ping, Path dir, long rounds) throws InterruptedException {
        try (MessageQueue<byte[]> there = shm(dir, "ping", 64, MESSAGE).open(Codecs.bytes());
                MessageQueue<byte[]> back = shm(dir, "pong", 64, MESSAGE).open(Codecs.bytes())) {
            if (!ping) {
                for (long i = 0; i < rounds + WARM_UP_ROUNDS; i++) {
                    back.put(there.get());
                }
                return;
            }
            Histogram h = new Histogram(3);
            byte[] m = new byte[MESSAGE];
            for (long i = 0; i < rounds + WARM_UP_ROUNDS; i++) {
                long t0 = System.nanoTime();
                there.put(m);
                back.get();
                if (i >= WARM_UP_ROUNDS) {
                    h.recordValue(System.nanoTime() - t0);
                }
            }
            result(h.getValueAtPercentile(50), h.getValueAtPercentile(99));
        }
    }

    /** Two longs on separate cache lines of a shared mapping: the hardware's round trip. */
    private static void spinPingPong(boolean ping, Path dir, long rounds) throws IOException {
        MappedByteBuffer b = map(dir.resolve("spin"), 4096);
        int there = 0;
        int back = 128;
        long total = rounds + WARM_UP_ROUNDS;
        if (!ping) {
            for (long i = 1; i <= total; i++) {
                while ((long) LONG.getAcquire(b, there) != i) {
                    Thread.onSpinWait();
                }
                LONG.setRelease(b, back, i);
            }
            return;
        }
        Histogram h = new Histogram(3);
        for (long i = 1; i <= total; i++) {
            long t0 = System.nanoTime();
            LONG.setRelease(b, there, i);
            while ((long) LONG.getAcquire(b, back) != i) {
                Thread.onSpinWait();
            }
            if (i > WARM_UP_ROUNDS) {
                h.recordValue(System.nanoTime() - t0);
            }
        }
        result(h.getValueAtPercentile(50), h.getValueAtPercentile(99));
    }
}
