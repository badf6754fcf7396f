package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kill -9 of producer and consumer processes at random moments, then the documented guarantee:
 * no item is delivered twice; every item whose put returned is delivered, except at most one per
 * killed consumer (the one it held); an item whose producer died inside put is delivered at most
 * once; and the queue keeps working.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class ChaosTest {
    private static final int TRIALS = Integer.getInteger("conduit.chaos.trials", 8);

    @TempDir
    Path dir;

    /**
     * @param mode {@code multi}: two producer and two consumer processes at once; {@code single}
     *     (option {@code producers=single}): one producer process at a time (each replacement takes the
     *     role over from the one just killed); {@code single-consumer} (also {@code consumers=single}):
     *     one producer and one consumer process at a time
     */
    @ParameterizedTest
    @ValueSource(strings = {"multi", "single", "single-consumer"})
    void killingProducersAndConsumersAtRandomLosesNothingButWhatTheDeadHeld(String mode) throws Exception {
        boolean singleConsumer = mode.equals("single-consumer");
        QueueDescriptor d = QueueDescriptor.shm("chaos").withNamespace("chaos-" + mode).withCapacity(32)
                .withOption("dir", dir.toString()).withOption("itemSize", "16").withOption("stallTimeoutMs", "200")
                .withOption("producers", mode.equals("multi") ? "multi" : "single")
                .withOption("consumers", singleConsumer ? "single" : "multi");
        int producerProcesses = mode.equals("multi") ? 2 : 1;
        int consumerProcesses = singleConsumer ? 1 : 2;
        long seed = Long.getLong("conduit.chaos.seed", System.nanoTime());
        Random random = new Random(seed);
        String replay = " (replay with -Dconduit.chaos.seed=" + seed + ")";
        List<Process> producers = new ArrayList<>();
        List<Process> consumers = new ArrayList<>();
        int producerIds = 0;
        int consumerLogs = 0;
        int producersKilled = 0;
        int consumersKilled = 0;
        try (Children children = new Children(dir.resolve("logs"));
                MessageQueue<long[]> q = d.open(Codecs.longs())) {
            for (int i = 0; i < 2; i++) {
                if (i < producerProcesses) {
                    producers.add(startProducer(children, d, producerIds++));
                }
                if (i < consumerProcesses) {
                    consumers.add(children.start("chaos-consume", d.toJson(),
                            consumerLog(consumerLogs++).toString()));
                }
            }
            // Chaos starts once both first producers are putting, so that every trial kills a working
            // process (a JVM that is still starting up proves nothing).
            long startDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ShmTestProcess.records(producerLog(0), 8).isEmpty()
                    || producerProcesses > 1 && ShmTestProcess.records(producerLog(1), 8).isEmpty()) {
                assertTrue(System.nanoTime() < startDeadline,
                        "the first producers acknowledged no put within 60 s; their logs are in " + dir + replay);
                Thread.sleep(20);
            }
            for (int t = 0; t < TRIALS; t++) {
                Thread.sleep(500 + random.nextInt(1000));
                boolean producer = random.nextBoolean();
                List<Process> group = producer ? producers : consumers;
                int victim = random.nextInt(group.size());
                Children.kill9(group.get(victim));
                if (producer) {
                    producersKilled++;
                    group.set(victim, startProducer(children, d, producerIds++));
                } else {
                    consumersKilled++;
                    group.set(victim, children.start("chaos-consume", d.toJson(),
                            consumerLog(consumerLogs++).toString()));
                }
            }
            for (Process p : producers) {
                Children.kill9(p);
                producersKilled++;
            }
            for (int i = 0; i < consumers.size(); i++) {
                q.put(new long[] {ShmTestProcess.STOP, i}, Duration.ofSeconds(30));
            }
            for (Process c : consumers) {
                assertEquals(0, Children.await(c, 60), "a consumer did not stop: the queue stalled" + replay);
            }
            Set<Long> delivered = new HashSet<>();
            int duplicates = 0;
            for (int i = 0; i < consumerLogs; i++) {
                for (long[] rec : ShmTestProcess.records(consumerLog(i), 16)) {
                    if (!delivered.add(key(rec[0], rec[1]))) {
                        duplicates++;
                    }
                }
            }
            for (long[] rest : q.getBatch(1000, Duration.ofMillis(100))) {
                if (!delivered.add(key(rest[0], rest[1]))) {
                    duplicates++;
                }
            }
            assertEquals(0, duplicates, "items delivered twice" + replay);
            int missing = 0;
            int unacknowledged = 0;
            long acknowledgedTotal = 0;
            for (int p = 0; p < producerIds; p++) {
                List<long[]> acks = ShmTestProcess.records(producerLog(p), 8);
                long acked = acks.size();
                acknowledgedTotal += acked;
                for (long s = 0; s < acked; s++) {
                    assertEquals(s, acks.get((int) s)[0], "producer log is sequential");
                    if (!delivered.contains(key(p, s))) {
                        missing++;
                    }
                }
                // Delivered beyond the last acknowledgement: only the put the kill interrupted.
                for (long s = acked; delivered.contains(key(p, s)); s++) {
                    unacknowledged++;
                    assertEquals(acked, s, "more than one unacknowledged item of producer " + p);
                }
            }
            assertTrue(acknowledgedTotal > 0, "nothing was exchanged" + replay);
            assertTrue(missing <= consumersKilled,
                    missing + " acknowledged items lost with " + consumersKilled + " consumers killed" + replay);
            assertTrue(unacknowledged <= producersKilled);
            QueueMetrics m = q.metrics();
            assertTrue(m.dropped() <= consumersKilled, "lost reads " + m.dropped());
            assertEquals(0, q.size());
            assertEquals(m.puts(), m.gets() + m.dropped(), "puts = gets + lost reads: " + m);
            q.put(new long[] {7, 7});
            assertEquals(7, q.get(Duration.ofSeconds(5))[1]);
            System.out.printf("chaos: %d trials, %d producers and %d consumers killed, %d items acknowledged, "
                    + "%d lost with dead consumers, %d delivered though their put was cut short%n", TRIALS,
                    producersKilled, consumersKilled, acknowledgedTotal, missing, unacknowledged);
        }
    }

    private Process startProducer(Children children, QueueDescriptor d, int id) throws Exception {
        return children.start("chaos-produce", d.toJson(), Integer.toString(id), producerLog(id).toString());
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
}
