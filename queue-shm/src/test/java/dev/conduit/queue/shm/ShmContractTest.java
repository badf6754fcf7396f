package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Queue-contract checks of the shared-memory ring that the conformance suite does not make. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShmContractTest {
    @TempDir
    Path dir;

    private QueueDescriptor shm(String id, int capacity) {
        return QueueDescriptor.shm(id).withNamespace("test").withCapacity(capacity)
                .withOption("dir", dir.toString()).withOption("itemSize", "64");
    }

    /**
     * The capacity is per lane: a put into a full high lane makes room by dropping that lane's
     * oldest item, and only that one. Dropping items of another lane frees nothing for it.
     */
    @Test
    void dropOldestIntoAFullLaneDropsOneItemOfThatLane() throws Exception {
        QueueDescriptor d = shm("drop-lanes", 2).withOption("lanes", "2").withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("l1", 0);
            q.put("l2", 0);
            q.put("h1", 200);
            q.put("h2", 200);
            q.put("h3", 200);
            QueueMetrics m = q.metrics();
            assertEquals(1, m.dropped(), "one put past a full lane drops one item");
            assertEquals(4, q.size());
            for (String expected : List.of("h2", "h3", "l1", "l2")) {
                assertEquals(expected, q.get(Duration.ofSeconds(1)));
            }
        }
    }

    /** The same for a batch: it drops only as many of its own lane's oldest items as it needs room for. */
    @Test
    void dropOldestBatchIntoAFullLaneDropsOnlyWhatItNeeds() throws Exception {
        QueueDescriptor d = shm("drop-lanes-batch", 2).withOption("lanes", "2")
                .withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("l1", 0);
            q.put("l2", 0);
            q.put("h1", 200);
            q.putAll(List.of("h2", "h3"), 200, Duration.ofSeconds(1));
            assertEquals(1, q.metrics().dropped(), "a batch of 2 into a lane of capacity 2 holding 1 drops 1");
            assertEquals(4, q.size());
        }
    }
}
