package dev.conduit.queue.ray;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.Ray;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ray tasks (static methods Ray runs in worker JVMs on whichever node their resources pick) that
 * use a queue named by descriptor JSON, as a user's tasks would. No JUnit here: workers load this
 * class from the job's code search path.
 */
public final class CrossNodeTasks {
    /** The item that tells a consumer to stop. */
    public static final long STOP = -1;
    private static final Duration CONSUMER_PATIENCE = Duration.ofSeconds(120);

    private CrossNodeTasks() {
    }

    /**
     * Puts {@code count} items {@code producer * 1e9 + i}: the first {@code singles} one by one,
     * the rest in {@code putAll} batches of {@code batch}.
     *
     * @return the id of the node this task ran on
     */
    public static String produce(String descriptorJson, Integer producer, Integer count, Integer batch)
            throws InterruptedException {
        int singles = Math.min(count, 1000);
        try (MessageQueue<long[]> q = QueueDescriptor.fromJson(descriptorJson).open(Codecs.longs())) {
            long base = producer * 1_000_000_000L;
            for (int i = 0; i < singles; i++) {
                q.put(new long[] {base + i});
            }
            for (int i = singles; i < count; i += batch) {
                List<long[]> items = new ArrayList<>(batch);
                for (int j = i; j < Math.min(count, i + batch); j++) {
                    items.add(new long[] {base + j});
                }
                q.putAll(items);
            }
        }
        return Ray.getRuntimeContext().getCurrentNodeId().toString();
    }

    /**
     * Takes items in batches until it takes a {@link #STOP}; hands back any further STOP it took in
     * the same batch so that every consumer gets one.
     *
     * @return the items taken, in the order taken
     */
    public static long[] consume(String descriptorJson, Integer maxBatch) throws InterruptedException {
        long[] out = new long[1024];
        int n = 0;
        try (MessageQueue<long[]> q = QueueDescriptor.fromJson(descriptorJson).open(Codecs.longs())) {
            for (;;) {
                List<long[]> batch = q.getBatch(maxBatch, CONSUMER_PATIENCE);
                if (batch.isEmpty()) {
                    throw new IllegalStateException("no item for " + CONSUMER_PATIENCE + " after " + n + " items");
                }
                int stops = 0;
                for (long[] item : batch) {
                    if (item[0] == STOP) {
                        stops++;
                        continue;
                    }
                    if (n == out.length) {
                        out = Arrays.copyOf(out, n * 2);
                    }
                    out[n++] = item[0];
                }
                if (stops > 0) {
                    for (int i = 1; i < stops; i++) {
                        q.put(new long[] {STOP});
                    }
                    return Arrays.copyOf(out, n);
                }
            }
        }
    }

    /**
     * Makes a queue on this task's node, puts {@code item}, and returns the descriptor as JSON.
     *
     * @return the descriptor JSON
     */
    public static String createAndPut(String rayNamespace, String id, String item) throws InterruptedException {
        QueueDescriptor d = QueueDescriptor.ray(id).withOption(RayQueueOptions.RAY_NAMESPACE, rayNamespace);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put(item);
        }
        return d.toJson() + "\n" + Ray.getRuntimeContext().getCurrentNodeId();
    }

    /**
     * Opens a queue from descriptor JSON and takes one item.
     *
     * @return the item, a newline, and the id of the node this task ran on
     */
    public static String openAndGet(String descriptorJson) throws InterruptedException {
        try (MessageQueue<String> q = QueueDescriptor.fromJson(descriptorJson).open(Codecs.string())) {
            return q.get(Duration.ofSeconds(30)) + "\n" + Ray.getRuntimeContext().getCurrentNodeId();
        }
    }
}
