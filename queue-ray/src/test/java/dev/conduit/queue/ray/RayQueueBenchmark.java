package dev.conduit.queue.ray;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.ActorHandle;
import io.ray.api.Ray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Throughput of the ray backend against a plain Ray actor call with the same payload, on a
 * running cluster ({@code scripts/ray-cluster.sh bench}). Both actors are placed on the second
 * node; the driver runs on the head. Prints a Markdown table; each queue figure is set beside the
 * plain call of the same shape, measured in the same run (and measured again after it, to show
 * how much the loaded machine drifted meanwhile).
 *
 * <p>Sizes: {@code -Dconduit.bench.single} items for one-at-a-time runs (default 5000),
 * {@code -Dconduit.bench.batched} for batches of 100 (default 200000), payload
 * {@code -Dconduit.bench.payload} bytes (default 100).
 */
public final class RayQueueBenchmark {
    private static final int SINGLE = Integer.getInteger("conduit.bench.single", 5000);
    private static final int BATCHED = Integer.getInteger("conduit.bench.batched", 200_000);
    private static final int PAYLOAD = Integer.getInteger("conduit.bench.payload", 100);
    private static final int BATCH = 100;
    private static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(60);

    private RayQueueBenchmark() {
    }

    /**
     * Runs every measurement once after a warm-up, and prints the table.
     *
     * @param args unused
     * @throws Exception if a measurement fails
     */
    public static void main(String[] args) throws Exception {
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

                System.out.printf("%n| measurement (payload %d B) | items/s | vs plain call |%n|---|---:|---:|%n",
                        PAYLOAD);
                row("plain actor call, one item per call (echo)", plain, plain);
                row("ray queue, put and get on two threads, one item per call", single, plain);
                row("ray queue, the same with pipeline=0 (every put waits for its answer)", waiting, plain);
                row("ray queue, put and get on two threads, consumer with prefetch=1000", prefetched, plain);
                row("ray queue, put then get on one thread, one item per call", sequential, plain);
                row("plain actor call, one item per call, measured again", plainAgain, plain);
                row("plain actor call, 100 items per call (echo of one frame)", plainBatch, plainBatch);
                row("ray queue, putAll(100) and getBatch(100) on two threads", batched, plainBatch);
                row("ray queue, the same, consumer with prefetch=1000", batchedPrefetched, plainBatch);
                row("plain actor call, 100 items per call, measured again", plainBatchAgain, plainBatch);
            } finally {
                QueueDescriptor.ray("bench").withOption(RayQueueOptions.RAY_NAMESPACE, ns).open().destroy();
                echo.kill();
            }
        } finally {
            RayTestCluster.disconnect();
        }
    }

    private static void row(String what, double rate, double plain) {
        System.out.printf("| %s | %,.0f | %.2f× |%n", what, rate, rate / plain);
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
        return "no item for " + PATIENCE + " after " + got + " of " + n + " items; the producer is " + why;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
