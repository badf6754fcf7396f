package dev.conduit.queue.shm;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.bytes.Bytes;
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
 * a consumer process started here, measured in the same run as its reference (Chronicle Queue
 * append + tail, Agrona's OneToOneRingBuffer over a mapped file, a busy-spin cache-line ping-pong,
 * {@code System.arraycopy}). Prints a markdown table with ratios.
 *
 * <p>Run: {@code java -cp <test class path> dev.conduit.queue.shm.ShmBench [scale]} with
 * Chronicle's flags (docs/shm.md); scale 1.0 is the default size, smaller is quicker.
 */
public final class ShmBench {
    private static final int MESSAGE = 64;
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private ShmBench() {
    }

    /**
     * Parent: {@code [scale]}; child: {@code role dir count}.
     *
     * @param args see above
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        if (args.length >= 3) {
            child(args[0], Path.of(args[1]), Long.parseLong(args[2]));
            return;
        }
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        Path dir = Files.createTempDirectory(Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : "/tmp"),
                "conduit-bench");
        Map<String, Double> r = new LinkedHashMap<>();
        long n = (long) (2_000_000 * scale);
        r.put("shm msgs/s", pair(dir, "shm-produce", "shm-consume", n));
        r.put("chronicle msgs/s", pair(dir, "cq-produce", "cq-consume", n));
        r.put("agrona msgs/s", pair(dir, "agrona-produce", "agrona-consume", n));
        long rounds = (long) (100_000 * scale);
        r.put("shm rtt p50 ns", 0.0);
        double[] shmRtt = pingPong(dir, "shm-ping", "shm-pong", rounds);
        double[] floor = pingPong(dir, "spin-ping", "spin-pong", rounds);
        r.put("shm rtt p50 ns", shmRtt[0]);
        r.put("shm rtt p99 ns", shmRtt[1]);
        r.put("floor rtt p50 ns", floor[0]);
        r.put("floor rtt p99 ns", floor[1]);
        long arrays = Math.max(50, (long) (2_000 * scale));
        r.put("floats GB/s", pair(dir, "floats-produce", "floats-consume", arrays) * (1 << 20) / 1e9);
        r.put("arraycopy GB/s", arraycopyGbPerSecond());
        r.put("objects msgs/s", pair(dir, "objects-produce", "objects-consume", (long) (300_000 * scale)));
        double best = Math.max(r.get("chronicle msgs/s"), r.get("agrona msgs/s"));
        System.out.println("| measurement | value | reference | ratio |");
        System.out.println("|---|---|---|---|");
        row("throughput, 64-byte items, shm (bytes codec)", r.get("shm msgs/s"), "msgs/s",
                "best of Chronicle " + fmt(r.get("chronicle msgs/s")) + " / Agrona " + fmt(r.get("agrona msgs/s")),
                r.get("shm msgs/s") / best);
        row("ping-pong RTT median", r.get("shm rtt p50 ns"), "ns", "busy-spin cache-line floor "
                + fmt(r.get("floor rtt p50 ns")) + " ns", r.get("shm rtt p50 ns") / r.get("floor rtt p50 ns"));
        row("ping-pong RTT p99", r.get("shm rtt p99 ns"), "ns", "floor p99 " + fmt(r.get("floor rtt p99 ns")) + " ns",
                r.get("shm rtt p99 ns") / r.get("floor rtt p99 ns"));
        row("1 MiB float[] via Codecs.floats()", r.get("floats GB/s"), "GB/s", "System.arraycopy "
                + fmt(r.get("arraycopy GB/s")) + " GB/s", r.get("floats GB/s") / r.get("arraycopy GB/s"));
        row("object items, default codec (Kryo)", r.get("objects msgs/s"), "msgs/s", "shm bytes codec",
                r.get("objects msgs/s") / r.get("shm msgs/s"));
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static void row(String what, double value, String unit, String reference, double ratio) {
        System.out.printf("| %s | %s %s | %s | %.2f× |%n", what, fmt(value), unit, reference, ratio);
    }

    private static String fmt(double v) {
        return v >= 1e6 ? String.format("%.2f M", v / 1e6) : v >= 1e3 ? String.format("%.0f", v) : String.format("%.2f", v);
    }

    private static double arraycopyGbPerSecond() {
        float[] a = new float[1 << 18];
        float[] b = new float[1 << 18];
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
        return (double) reps * (1 << 20) / ns;
    }

    // ---- orchestration

    private static Process start(List<String> jvm, String role, Path dir, long count) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), ShmBench.class.getName(), role,
                dir.toString(), Long.toString(count)));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static List<String> jvmFlags() {
        List<String> flags = new ArrayList<>(List.of(ChronicleFlags.commandLine().split(" ")));
        // Agrona 2 reads jdk.internal.misc.Unsafe.
        flags.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        return flags;
    }

    /** @return items per second seen by the consumer */
    private static double pair(Path dir, String producer, String consumer, long count) throws Exception {
        Path sub = Files.createTempDirectory(dir, producer);
        Process c = start(jvmFlags(), consumer, sub, count);
        Thread.sleep(300);
        Process p = start(jvmFlags(), producer, sub, count);
        String result = resultOf(c);
        p.waitFor(60, TimeUnit.SECONDS);
        p.destroyForcibly();
        return Double.parseDouble(result.split(" ")[0]);
    }

    /** @return {median, p99} in ns */
    private static double[] pingPong(Path dir, String ping, String pong, long rounds) throws Exception {
        Path sub = Files.createTempDirectory(dir, ping);
        Process b = start(jvmFlags(), pong, sub, rounds);
        Thread.sleep(300);
        Process a = start(jvmFlags(), ping, sub, rounds);
        String[] result = resultOf(a).split(" ");
        b.waitFor(30, TimeUnit.SECONDS);
        b.destroyForcibly();
        return new double[] {Double.parseDouble(result[0]), Double.parseDouble(result[1])};
    }

    private static String resultOf(Process p) throws Exception {
        StringBuilder all = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                if (line.startsWith("RESULT ")) {
                    p.waitFor(30, TimeUnit.SECONDS);
                    return line.substring(7);
                }
                all.append(line).append('\n');
            }
        } finally {
            p.destroyForcibly();
        }
        throw new IllegalStateException("benchmark child gave no result:\n" + all);
    }

    // ---- children

    private static QueueDescriptor shm(Path dir, String id, int capacity, int itemSize) {
        return QueueDescriptor.shm(id).withNamespace("bench").withCapacity(capacity).withOption("dir", dir.toString())
                .withOption("itemSize", Integer.toString(itemSize)).withOption("idle", "busy-spin");
    }

    private static void child(String role, Path dir, long n) throws Exception {
        switch (role) {
            case "shm-produce" -> {
                try (MessageQueue<byte[]> q = shm(dir, "tp", 8192, MESSAGE).open(Codecs.bytes())) {
                    byte[] m = new byte[MESSAGE];
                    for (long i = 0; i < n; i++) {
                        q.put(m);
                    }
                }
            }
            case "shm-consume" -> {
                try (MessageQueue<byte[]> q = shm(dir, "tp", 8192, MESSAGE).open(Codecs.bytes())) {
                    q.get();
                    long t0 = System.nanoTime();
                    for (long i = 1; i < n; i++) {
                        q.get();
                    }
                    result((n - 1) * 1e9 / (System.nanoTime() - t0));
                }
            }
            case "floats-produce" -> {
                try (MessageQueue<float[]> q = shm(dir, "fl", 8, 1 << 20).open(Codecs.floats())) {
                    float[] m = new float[1 << 18];
                    for (long i = 0; i < n; i++) {
                        q.put(m);
                    }
                }
            }
            case "floats-consume" -> {
                try (MessageQueue<float[]> q = shm(dir, "fl", 8, 1 << 20).open(Codecs.floats())) {
                    q.get();
                    long t0 = System.nanoTime();
                    for (long i = 1; i < n; i++) {
                        q.get();
                    }
                    result((n - 1) * 1e9 / (System.nanoTime() - t0));
                }
            }
            case "objects-produce" -> {
                try (MessageQueue<Object> q = shm(dir, "ob", 8192, 256).open()) {
                    for (long i = 0; i < n; i++) {
                        q.put(List.of("order", i, 3.5));
                    }
                }
            }
            case "objects-consume" -> {
                try (MessageQueue<Object> q = shm(dir, "ob", 8192, 256).open()) {
                    q.get();
                    long t0 = System.nanoTime();
                    for (long i = 1; i < n; i++) {
                        q.get();
                    }
                    result((n - 1) * 1e9 / (System.nanoTime() - t0));
                }
            }
            case "cq-produce" -> {
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
            case "cq-consume" -> {
                try (ChronicleQueue cq = ChronicleQueue.singleBuilder(dir.resolve("cq")).build();
                        ExcerptTailer t = cq.createTailer()) {
                    byte[] m = new byte[MESSAGE];
                    long got = 0;
                    long t0 = 0;
                    while (got < n) {
                        try (DocumentContext dc = t.readingDocument()) {
                            if (dc.isPresent()) {
                                Bytes<?> b = dc.wire().bytes();
                                b.read(m);
                                if (got++ == 0) {
                                    t0 = System.nanoTime();
                                }
                            }
                        }
                    }
                    result((n - 1) * 1e9 / (System.nanoTime() - t0));
                }
            }
            case "agrona-produce", "agrona-consume" -> agrona(role.endsWith("produce"), dir, n);
            case "shm-ping", "shm-pong" -> shmPingPong(role.endsWith("ping"), dir, n);
            case "spin-ping", "spin-pong" -> spinPingPong(role.endsWith("ping"), dir, n);
            default -> throw new IllegalArgumentException(role);
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

    private static MappedByteBuffer map(Path file, int length) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, length);
            b.order(ByteOrder.nativeOrder());
            return b;
        }
    }

    private static void agrona(boolean produce, Path dir, long n) throws Exception {
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
        } else {
            long[] got = {0};
            long[] t0 = {0};
            byte[] m = new byte[MESSAGE];
            while (got[0] < n) {
                ring.read((type, buffer, index, length) -> {
                    buffer.getBytes(index, m, 0, length);
                    if (got[0]++ == 0) {
                        t0[0] = System.nanoTime();
                    }
                });
            }
            result((n - 1) * 1e9 / (System.nanoTime() - t0[0]));
        }
    }

    private static void shmPingPong(boolean ping, Path dir, long rounds) throws Exception {
        try (MessageQueue<byte[]> there = shm(dir, "ping", 64, MESSAGE).open(Codecs.bytes());
                MessageQueue<byte[]> back = shm(dir, "pong", 64, MESSAGE).open(Codecs.bytes())) {
            if (!ping) {
                for (long i = 0; i < rounds + 10_000; i++) {
                    back.put(there.get());
                }
                return;
            }
            Histogram h = new Histogram(3);
            byte[] m = new byte[MESSAGE];
            for (long i = 0; i < rounds + 10_000; i++) {
                long t0 = System.nanoTime();
                there.put(m);
                back.get();
                if (i >= 10_000) {
                    h.recordValue(System.nanoTime() - t0);
                }
            }
            result(h.getValueAtPercentile(50), h.getValueAtPercentile(99));
        }
    }

    /** Two longs on separate cache lines of a shared mapping: the hardware's round trip. */
    private static void spinPingPong(boolean ping, Path dir, long rounds) throws Exception {
        MappedByteBuffer b = map(dir.resolve("spin"), 4096);
        int there = 0;
        int back = 128;
        long total = rounds + 10_000;
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
            if (i > 10_000) {
                h.recordValue(System.nanoTime() - t0);
            }
        }
        result(h.getValueAtPercentile(50), h.getValueAtPercentile(99));
    }
}
