package dev.conduit.queue.ray;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where the time of a batched put→get goes: each half of it alone (pipelined {@code putAll} into a
 * queue with room for everything, then {@code getBatch} out of it), beside plain actor calls of the
 * same shape, sent one at a time and with a window of calls in flight. Run on a cluster like the
 * benchmark ({@code scripts/ray-cluster.sh run-bench -Dconduit.bench.main=dev.conduit.queue.ray.RayCallProfile}).
 * Sizes: {@code -Dconduit.bench.batched} items (default 100000), {@code -Dconduit.bench.payload}.
 */
public final class RayCallProfile {
    private static final int ITEMS = Integer.getInteger("conduit.bench.batched", 100_000);
    private static final int PAYLOAD = Integer.getInteger("conduit.bench.payload", 100);
    private static final int BATCH = 100;
    private static final int WINDOW = 64;

    private RayCallProfile() {
    }

    /**
     * Prints one line per probe: calls/s and items/s.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        RayQueues.ensureRuntime();
        String ns = "profile-" + System.nanoTime();
        QueueDescriptor d = QueueDescriptor.ray("profile").withCapacity(ITEMS + BATCH)
                .withOption(RayQueueOptions.RAY_NAMESPACE, ns)
                .withOption(RayQueueOptions.RESOURCES, RayTestCluster.NODE_B + "=1");
        ActorHandle<EchoActor> echo = Ray.actor(EchoActor::new).setResource(RayTestCluster.NODE_B, 1.0).remote();
        // The same actor with the two waiting groups a queue actor has (no call uses them).
        ActorHandle<EchoActor> grouped = Ray.actor(EchoActor::new).setResource(RayTestCluster.NODE_B, 1.0)
                .setConcurrencyGroups(
                        new io.ray.api.concurrencygroup.ConcurrencyGroupBuilder<EchoActor>().setName("a")
                                .setMaxConcurrency(32).build(),
                        new io.ray.api.concurrencygroup.ConcurrencyGroupBuilder<EchoActor>().setName("b")
                                .setMaxConcurrency(32).build())
                .remote();
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            byte[] payload = new byte[PAYLOAD];
            Arrays.fill(payload, (byte) 7);
            List<byte[]> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                batch.add(payload);
            }
            byte[] frame = Frames.write(batch, new int[BATCH]);
            Ray.get(echo.task(EchoActor::echo, frame).remote());
            q.size();
            for (int round = 0; round < 2; round++) {
                System.out.println(round == 0 ? "warm-up" : "measured");
                int calls = ITEMS / BATCH;
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    Ray.get(echo.task(EchoActor::echo, frame).remote());
                }
                report("echo(frame of 100), one call at a time", calls, t0);
                t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    Ray.get(echo.task(EchoActor::echo, frame).remote(), 60_000);
                }
                report("the same, Ray.get with a timeout (as the queue waits)", calls, t0);
                t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    Ray.get(grouped.task(EchoActor::echo, frame).remote());
                }
                report("echo(frame of 100), actor with 2 groups, one at a time", calls, t0);
                inFlight("echo(frame of 100)", echo, frame, calls);
                inFlight("echo(frame of 100), actor with 2 groups", grouped, frame, calls);
                ActorHandle<QueueActor> actor = Ray.<ActorHandle<QueueActor>>getActor(
                        RayQueueOptions.of(d).actorName(), ns).orElseThrow();
                t0 = System.nanoTime();
                ArrayDeque<ObjectRef<Integer>> pings = new ArrayDeque<>();
                for (int i = 0; i < calls; i++) {
                    if (pings.size() == WINDOW) {
                        Ray.get(pings.pollFirst());
                    }
                    pings.addLast(actor.task(QueueActor::ping).remote());
                }
                while (!pings.isEmpty()) {
                    Ray.get(pings.pollFirst());
                }
                report("queue actor ping(), " + WINDOW + " calls in flight", calls, t0);
                t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    q.putAll(batch);
                }
                q.size();
                report("queue putAll(100), pipelined, no consumer", calls, t0);
                t0 = System.nanoTime();
                int got = 0;
                int gets = 0;
                while (got < ITEMS) {
                    got += q.getBatch(BATCH, java.time.Duration.ofSeconds(10)).size();
                    gets++;
                }
                report("queue getBatch(100) from a full queue", gets, t0);
                t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    q.size();
                }
                report("queue size(), one call at a time", calls, t0);
            }
            q.destroy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            echo.kill();
            grouped.kill();
            RayTestCluster.disconnect();
        }
    }

    private static void inFlight(String what, ActorHandle<EchoActor> actor, byte[] frame, int calls) {
        long t0 = System.nanoTime();
        ArrayDeque<ObjectRef<byte[]>> inFlight = new ArrayDeque<>();
        for (int i = 0; i < calls; i++) {
            if (inFlight.size() == WINDOW) {
                Ray.get(inFlight.pollFirst());
            }
            inFlight.addLast(actor.task(EchoActor::echo, frame).remote());
        }
        while (!inFlight.isEmpty()) {
            Ray.get(inFlight.pollFirst());
        }
        report(what + ", " + WINDOW + " calls in flight", calls, t0);
    }

    private static void report(String what, int calls, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-50s %8.0f calls/s %10.0f items/s%n", what, calls / s, calls * (double) BATCH / s);
    }
}
