package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.QueueServerMain;
import dev.conduit.queue.rpc.ServerRestartedException;
import dev.conduit.queue.rpc.ServerUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@code rpc} fault loop: a {@link QueueServerMain} in its own JVM, a producer and a consumer
 * handle in this one putting and getting all the time; each trial kills the server with SIGKILL at
 * a random moment and starts it again on the same port. Every call that fails must fail with a
 * {@link QueueException} within its documented bound (no hang), and every item is accounted for.
 *
 * <p>The documented guarantees (docs/rpc.md):
 * <ul>
 *   <li><b>durable queue</b> ({@code durable=true}, the journal): calls ride through the restart
 *       (they retry for {@code reconnectMillis}); no acknowledged item is lost, except one per get
 *       whose answer was on the wire when the server died (at most once), and one put per kill may
 *       be applied twice (at least once across a crash, the idempotency window being in memory).
 *   <li><b>in-memory queue</b>: the items the server held die with it; while the server is down,
 *       calls end with {@link ServerUnavailableException} after {@code reconnectMillis}, the first
 *       call after the restart with {@link ServerRestartedException}, and then the handle works;
 *       nothing is delivered twice and nothing hangs.
 * </ul>
 *
 * <pre>
 *   java -cp ... dev.conduit.queue.reliability.RpcFaultLoop --trials 100 [--in-memory] [--seed S] [--dir D]
 * </pre>
 *
 * The journal needs Chronicle's JVM flags (docs/shm.md) on this JVM: the server child inherits
 * them. Prints one {@link FaultTally#line()} and exits 0 when the guarantee held, 1 otherwise.
 */
public final class RpcFaultLoop {
    /** How long calls retry a dead server: long for the durable loop, so they ride through the restart. */
    private static final long DURABLE_RECONNECT_MILLIS = 60_000;
    private static final long IN_MEMORY_RECONNECT_MILLIS = 1_500;
    private static final long CALL_TIMEOUT_MILLIS = 5_000;
    /** A call taking longer than its bounds plus this is a hang. */
    private static final long HANG_MARGIN_MILLIS = 15_000;

    private final boolean durable;
    private final int trials;
    private final long seed;
    private final Path dir;
    /** The port file each server process writes once it listens. */
    private final Map<Process, Path> portFiles = new ConcurrentHashMap<>();

    /**
     * @param durable whether the queue is the durable journal (else in-memory)
     * @param trials server kills to inject
     * @param seed the random choices' seed (printed, so a failure can be replayed)
     * @param dir a private directory for the journal, the port files and the server logs
     */
    public RpcFaultLoop(boolean durable, int trials, long seed, Path dir) {
        this.durable = durable;
        this.trials = trials;
        this.seed = seed;
        this.dir = dir;
    }

    /**
     * Runs the loop from the command line.
     *
     * @param args {@code --trials N} (default 100), {@code --in-memory} (default: durable),
     *     {@code --seed S}, {@code --dir D} (a new temporary directory)
     * @throws Exception on a setup failure
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> opts = FaultLoopArgs.parse(args, "--trials", "--in-memory", "--seed", "--dir");
        Path dir = opts.containsKey("--dir") ? Path.of(opts.get("--dir")) : Files.createTempDirectory("rpc-faults");
        RpcFaultLoop loop = new RpcFaultLoop(!opts.containsKey("--in-memory"),
                Integer.parseInt(opts.getOrDefault("--trials", "100")),
                Long.parseLong(opts.getOrDefault("--seed", Long.toString(System.nanoTime()))), dir);
        FaultTally t = loop.run();
        System.out.println(t.line());
        System.exit(t.guaranteeHeld() ? 0 : 1);
    }

    /** One client thread's loop: its calls, its failures, and when its current call started. */
    private static final class Worker {
        final AtomicLong callStartedNanos = new AtomicLong();
        final LongAdder calls = new LongAdder();
        final LongAdder unavailable = new LongAdder();
        final LongAdder restarted = new LongAdder();
        final List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile long longestFailureMillis;
        Thread thread;

        /** Runs one call, timing it and sorting its failure; @return false when it failed */
        boolean call(QueueCall body) {
            long start = System.nanoTime();
            callStartedNanos.set(start);
            try {
                body.run();
                calls.increment();
                return true;
            } catch (ServerRestartedException e) {
                restarted.increment();
                failed(start);
                return false;
            } catch (ServerUnavailableException e) {
                unavailable.increment();
                failed(start);
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Throwable e) {
                unexpected.add(e);
                failed(start);
                return false;
            } finally {
                callStartedNanos.set(0);
            }
        }

        private void failed(long start) {
            longestFailureMillis = Math.max(longestFailureMillis,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }

        long failures() {
            return unavailable.sum() + restarted.sum() + unexpected.size();
        }
    }

    private interface QueueCall {
        void run() throws Exception;
    }

    /**
     * Runs the trials.
     *
     * @return the tally
     * @throws Exception when the server cannot be started
     */
    public FaultTally run() throws Exception {
        long reconnectMillis = durable ? DURABLE_RECONNECT_MILLIS : IN_MEMORY_RECONNECT_MILLIS;
        long hangMillis = reconnectMillis + CALL_TIMEOUT_MILLIS + HANG_MARGIN_MILLIS;
        Random random = new Random(seed);
        List<String> violations = new ArrayList<>();
        try (ChildJvms children = new ChildJvms(dir.resolve("logs"))) {
            Process server = startServer(children, 0);
            int port = portOf(server);
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", port, "faults").withNamespace("faults")
                    .withCapacity(1_000_000).withOption("durable", Boolean.toString(durable))
                    .withOption("reconnectMillis", Long.toString(reconnectMillis))
                    .withOption("callTimeoutMillis", Long.toString(CALL_TIMEOUT_MILLIS));
            AtomicBoolean stopProducing = new AtomicBoolean();
            AtomicBoolean stopConsuming = new AtomicBoolean();
            Map<Long, Integer> delivered = new ConcurrentHashMap<>();
            List<Long> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
            LongAdder uncertainPuts = new LongAdder();
            Worker producer = new Worker();
            Worker consumer = new Worker();
            int faults = 0;
            try (MessageQueue<long[]> in = d.open(Codecs.longs()); MessageQueue<long[]> out = d.open(Codecs.longs())) {
                producer.thread = new Thread(() -> {
                    for (long seq = 0; !stopProducing.get(); seq++) {
                        long s = seq;
                        if (producer.call(() -> in.put(new long[] {s}))) {
                            acknowledged.add(s);
                        } else {
                            uncertainPuts.increment();
                        }
                    }
                }, "rpc-faults-producer");
                consumer.thread = new Thread(() -> {
                    while (!stopConsuming.get()) {
                        consumer.call(() -> {
                            for (long[] item : out.getBatch(1, Duration.ofMillis(200))) {
                                delivered.merge(item[0], 1, Integer::sum);
                            }
                        });
                    }
                }, "rpc-faults-consumer");
                producer.thread.start();
                consumer.thread.start();
                for (int t = 0; t < trials; t++) {
                    awaitProgress(producer, consumer, hangMillis, violations);
                    Thread.sleep(200 + random.nextInt(600));
                    ChildJvms.kill9(server);
                    faults++;
                    Thread.sleep(random.nextInt(durable ? 500 : 2_500));
                    server = startServer(children, port);
                    portOf(server);
                }
                awaitProgress(producer, consumer, hangMillis, violations);
                stopProducing.set(true);
                joinOrReportHang(producer, hangMillis, violations);
                // Drain: the consumer goes on until the queue is empty.
                long drainDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(hangMillis);
                while (System.nanoTime() < drainDeadline) {
                    long[] size = new long[1];
                    if (consumer.call(() -> size[0] = out.size()) && size[0] == 0) {
                        break;
                    }
                    Thread.sleep(100);
                }
                stopConsuming.set(true);
                joinOrReportHang(consumer, hangMillis, violations);
                long[] probe = new long[1];
                Worker check = new Worker();
                if (!check.call(() -> {
                    in.put(new long[] {-7});
                    probe[0] = out.get(Duration.ofSeconds(10))[0];
                }) || probe[0] != -7) {
                    violations.add("the queue does not work after the loop: " + check.unexpected);
                }
                check.call(in::destroy);
            } finally {
                ChildJvms.kill9(server);
            }
            long lost = 0;
            for (long s : acknowledged) {
                if (!delivered.containsKey(s)) {
                    lost++;
                }
            }
            long duplicated = delivered.values().stream().mapToLong(n -> n - 1).sum();
            long getsCutShort = consumer.failures();
            for (Worker w : List.of(producer, consumer)) {
                if (!w.unexpected.isEmpty()) {
                    violations.add("a call failed with something other than ServerUnavailableException or "
                            + "ServerRestartedException: " + w.unexpected.get(0));
                }
                if (w.longestFailureMillis > hangMillis) {
                    violations.add("a failing call took " + w.longestFailureMillis + " ms");
                }
            }
            if (acknowledged.isEmpty()) {
                violations.add("nothing was exchanged");
            }
            if (durable) {
                if (lost > getsCutShort) {
                    violations.add(lost + " acknowledged items lost, more than the " + getsCutShort
                            + " gets cut short by a kill");
                }
                if (duplicated > faults) {
                    violations.add(duplicated + " items delivered twice in " + faults + " server kills");
                }
            } else {
                if (duplicated > 0) {
                    violations.add(duplicated + " items delivered twice");
                }
                if (trials > 0 && producer.failures() + consumer.failures() == 0) {
                    violations.add("no client was told that the server died");
                }
            }
            Map<String, Long> details = new LinkedHashMap<>();
            details.put("putsFailed", producer.failures());
            details.put("getsFailed", getsCutShort);
            details.put("serverUnavailable", producer.unavailable.sum() + consumer.unavailable.sum());
            details.put("serverRestarted", producer.restarted.sum() + consumer.restarted.sum());
            details.put("longestFailedCallMs", Math.max(producer.longestFailureMillis, consumer.longestFailureMillis));
            details.put("seed", seed);
            return new FaultTally(durable ? "rpc-durable" : "rpc-in-memory", trials, faults, acknowledged.size(), lost,
                    duplicated, details, violations);
        }
    }

    /** Waits until both workers completed a call since now, reporting a call stuck beyond its bounds. */
    private static void awaitProgress(Worker producer, Worker consumer, long hangMillis, List<String> violations)
            throws InterruptedException {
        long p0 = producer.calls.sum();
        long c0 = consumer.calls.sum();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(hangMillis);
        while (producer.calls.sum() == p0 || consumer.calls.sum() == c0) {
            if (System.nanoTime() > deadline) {
                violations.add("no call succeeded for " + hangMillis + " ms after a restart");
                return;
            }
            Thread.sleep(10);
        }
    }

    private static void joinOrReportHang(Worker w, long hangMillis, List<String> violations)
            throws InterruptedException {
        w.thread.join(hangMillis);
        if (w.thread.isAlive()) {
            violations.add(w.thread.getName() + " hung in a call for more than " + hangMillis + " ms");
            w.thread.interrupt();
            w.thread.join(5_000);
        }
    }

    private Process startServer(ChildJvms children, int port) throws IOException {
        Path portFile = dir.resolve("port-" + System.nanoTime());
        Process p = children.start(QueueServerMain.class, List.of("-Dconduit.journal.dir=" + dir.resolve("journal")),
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--port-file", portFile.toString());
        portFiles.put(p, portFile);
        return p;
    }

    /** Waits until the server listens; @return its port */
    private int portOf(Process server) throws IOException, InterruptedException {
        Path portFile = portFiles.get(server);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(portFile)) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                ChildJvms.kill9(server);
                throw new IOException("the server process did not start; its log is in " + dir.resolve("logs"));
            }
            Thread.sleep(20);
        }
        return Integer.parseInt(Files.readString(portFile).trim());
    }
}
