package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.io.DataInputStream;
import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The {@code shm} fault loop: two producer and two consumer processes ({@link ShmFaultChild}) on
 * one shared-memory queue; each trial kills one of them, chosen at random, with SIGKILL at a random
 * moment and starts a replacement. At the end the producers are killed too, the consumers are
 * stopped, and every item is accounted for from the processes' logs.
 *
 * <p>The documented guarantee (docs/shm.md): no item is delivered twice; every acknowledged item is
 * delivered, except at most one per killed consumer (the one it held when it died); an item whose
 * producer died inside {@code put} is delivered at most once; the queue keeps working.
 *
 * <pre>
 *   java -cp ... dev.conduit.queue.reliability.ShmFaultLoop --trials 100 [--seed S] [--dir D]
 * </pre>
 *
 * Prints one {@link FaultTally#line()} and exits 0 when the guarantee held, 1 otherwise.
 */
public final class ShmFaultLoop {
    private final int trials;
    private final long seed;
    private final Path dir;

    /**
     * @param trials kills to inject while the processes work
     * @param seed the random choices' seed (printed, so a failure can be replayed)
     * @param dir a private directory for the queue file and the logs
     */
    public ShmFaultLoop(int trials, long seed, Path dir) {
        this.trials = trials;
        this.seed = seed;
        this.dir = dir;
    }

    /**
     * Runs the loop from the command line.
     *
     * @param args {@code --trials N} (default 100), {@code --seed S}, {@code --dir D} (a new temporary directory)
     * @throws Exception on a setup failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = FaultLoopArgs.parse(args, "--trials", "--seed", "--dir");
        Path dir = opts.containsKey("--dir") ? Path.of(opts.get("--dir")) : Files.createTempDirectory("shm-faults");
        ShmFaultLoop loop = new ShmFaultLoop(Integer.parseInt(opts.getOrDefault("--trials", "100")),
                Long.parseLong(opts.getOrDefault("--seed", Long.toString(System.nanoTime()))), dir);
        FaultTally t = loop.run();
        System.out.println(t.line());
        System.exit(t.guaranteeHeld() ? 0 : 1);
    }

    /**
     * Runs the trials.
     *
     * @return the tally
     * @throws Exception when a process cannot be started, or the first puts do not happen within 60 s
     */
    public FaultTally run() throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("faults").withNamespace("faults").withCapacity(32)
                .withOption("dir", dir.toString()).withOption("itemSize", "16").withOption("stallTimeoutMs", "200");
        Random random = new Random(seed);
        List<Process> producers = new ArrayList<>();
        List<Process> consumers = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        int producerIds = 0;
        int consumerLogs = 0;
        int producersKilled = 0;
        int consumersKilled = 0;
        try (ChildJvms children = new ChildJvms(dir.resolve("logs"));
                MessageQueue<long[]> q = d.open(Codecs.longs())) {
            for (int i = 0; i < 2; i++) {
                producers.add(startProducer(children, d, producerIds++));
                consumers.add(startConsumer(children, d, consumerLogs++));
            }
            // Kills start once both first producers are putting: killing a JVM still starting proves nothing.
            long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (records(producerLog(0), 8).isEmpty() || records(producerLog(1), 8).isEmpty()) {
                if (System.nanoTime() > startDeadline) {
                    throw new IllegalStateException("the first producers acknowledged no put within 60 s; logs in "
                            + dir);
                }
                Thread.sleep(20);
            }
            for (int t = 0; t < trials; t++) {
                Thread.sleep(300 + random.nextInt(700));
                boolean producer = random.nextBoolean();
                List<Process> group = producer ? producers : consumers;
                int victim = random.nextInt(group.size());
                ChildJvms.kill9(group.get(victim));
                if (producer) {
                    producersKilled++;
                    group.set(victim, startProducer(children, d, producerIds++));
                } else {
                    consumersKilled++;
                    group.set(victim, startConsumer(children, d, consumerLogs++));
                }
            }
            for (Process p : producers) {
                ChildJvms.kill9(p);
                producersKilled++;
            }
            for (int i = 0; i < consumers.size(); i++) {
                q.put(new long[] {ShmFaultChild.STOP, i}, Duration.ofSeconds(30));
            }
            for (Process c : consumers) {
                if (ChildJvms.await(c, 60) != 0) {
                    violations.add("a consumer failed (exit " + c.exitValue() + "); logs in " + dir);
                }
            }
            Map<Long, Integer> delivered = new HashMap<>();
            for (int i = 0; i < consumerLogs; i++) {
                for (long[] rec : records(consumerLog(i), 16)) {
                    delivered.merge(key(rec[0], rec[1]), 1, Integer::sum);
                }
            }
            for (long[] rest : q.getBatch(1000, Duration.ofMillis(100))) {
                delivered.merge(key(rest[0], rest[1]), 1, Integer::sum);
            }
            long duplicated = delivered.values().stream().mapToLong(n -> n - 1).sum();
            long lost = 0;
            long acknowledged = 0;
            long unacknowledgedDelivered = 0;
            for (int p = 0; p < producerIds; p++) {
                long acked = records(producerLog(p), 8).size();
                acknowledged += acked;
                for (long s = 0; s < acked; s++) {
                    if (!delivered.containsKey(key(p, s))) {
                        lost++;
                    }
                }
                for (long s = acked; delivered.containsKey(key(p, s)); s++) {
                    unacknowledgedDelivered++;
                }
            }
            QueueMetrics m = q.metrics();
            if (acknowledged == 0) {
                violations.add("nothing was exchanged");
            }
            if (duplicated > 0) {
                violations.add(duplicated + " items delivered twice");
            }
            if (lost > consumersKilled) {
                violations.add(lost + " acknowledged items lost with only " + consumersKilled + " consumers killed");
            }
            if (unacknowledgedDelivered > producersKilled) {
                violations.add(unacknowledgedDelivered + " unacknowledged items delivered with " + producersKilled
                        + " producers killed");
            }
            if (q.size() != 0 || m.puts() != m.gets() + m.dropped()) {
                violations.add("the queue's books do not balance: size " + q.size() + ", " + m);
            }
            q.put(new long[] {7, 7});
            if (q.get(Duration.ofSeconds(5))[1] != 7) {
                violations.add("the queue does not work after the loop");
            }
            q.destroy();
            Map<String, Long> details = new LinkedHashMap<>();
            details.put("producersKilled", (long) producersKilled);
            details.put("consumersKilled", (long) consumersKilled);
            details.put("lostReads", m.dropped());
            details.put("unacknowledgedDelivered", unacknowledgedDelivered);
            details.put("seed", seed);
            return new FaultTally("shm", trials, producersKilled + consumersKilled, acknowledged, lost, duplicated,
                    details, violations);
        }
    }

    private Process startProducer(ChildJvms children, QueueDescriptor d, int id) throws Exception {
        return children.start(ShmFaultChild.class, List.of(), "produce", d.toJson(), Integer.toString(id),
                producerLog(id).toString());
    }

    private Process startConsumer(ChildJvms children, QueueDescriptor d, int id) throws Exception {
        return children.start(ShmFaultChild.class, List.of(), "consume", d.toJson(), consumerLog(id).toString());
    }

    private Path producerLog(int id) {
        return dir.resolve("producer-" + id + ".log");
    }

    private Path consumerLog(int id) {
        return dir.resolve("consumer-" + id + ".log");
    }

    private static long key(long producer, long seq) {
        return producer << 40 | seq;
    }

    /** The whole records of a log of longs; a record cut short by a kill is ignored. */
    static List<long[]> records(Path log, int recordBytes) throws Exception {
        List<long[]> out = new ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        byte[] all = Files.readAllBytes(log);
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, 0,
                all.length - all.length % recordBytes))) {
            for (;;) {
                long[] rec = new long[recordBytes / 8];
                for (int i = 0; i < rec.length; i++) {
                    rec[i] = in.readLong();
                }
                out.add(rec);
            }
        } catch (EOFException end) {
            return out;
        }
    }
}
