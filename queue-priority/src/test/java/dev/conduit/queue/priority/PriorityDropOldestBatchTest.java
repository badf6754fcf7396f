package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DROP_OLDEST drops the oldest item of the lowest priority present, and the new item itself when it
 * is lower than everything queued: a batch (putAll, a transaction) obeys the same rule, so it ends
 * where the same items put one at a time would end, and never evicts an item of a higher priority
 * than one of its own.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PriorityDropOldestBatchTest {

    private static MessageQueue<String> open(String id, int capacity) {
        return QueueDescriptor.priority(id).withCapacity(capacity).withOption("backpressure", "DROP_OLDEST").open();
    }

    @Test
    void aBatchLowerThanEverythingQueuedIsItselfDroppedAndKeepsTheHigherItems() throws Exception {
        try (MessageQueue<String> q = open("drop-batch-lower", 2)) {
            q.put("x", 200);
            q.put("y", 200);
            q.putAll(List.of("a", "b"), 10, Duration.ZERO);
            assertEquals(2, q.metrics().dropped());
            assertEquals(List.of("x", "y"), q.getBatch(10, Duration.ZERO));
            QueueMetrics m = q.metrics();
            assertEquals(4, m.puts());
            assertEquals(m.size(), m.puts() - m.gets() - m.dropped() - m.cleared());
            q.destroy();
        }
    }

    @Test
    void aMixedPriorityTransactionDropsWhatTheSamePutsOneAtATimeWouldDrop() throws Exception {
        List<String> oneByOne;
        try (MessageQueue<String> q = open("drop-batch-single", 3)) {
            fill(q);
            q.put("a", 150);
            q.put("b", 10);
            oneByOne = q.getBatch(10, Duration.ZERO);
            assertEquals(2, q.metrics().dropped());
            q.destroy();
        }
        try (MessageQueue<String> q = open("drop-batch-tx", 3)) {
            fill(q);
            q.transaction(tx -> {
                tx.put("a", 150);
                tx.put("b", 10);
            });
            assertEquals(2, q.metrics().dropped());
            assertEquals(oneByOne, q.getBatch(10, Duration.ZERO));
            assertEquals(List.of("x", "a", "z"), oneByOne);
            q.destroy();
        }
    }

    @Test
    void aBatchOfTheLowestPriorityDropsTheOlderItemsOfThatPriorityFirst() throws Exception {
        try (MessageQueue<String> q = open("drop-batch-equal", 3)) {
            q.put("high", 200);
            q.put("old1", 10);
            q.put("old2", 10);
            q.putAll(List.of("new1", "new2"), 10, Duration.ZERO);
            assertEquals(2, q.metrics().dropped());
            assertEquals(List.of("high", "new1", "new2"), q.getBatch(10, Duration.ZERO));
            q.destroy();
        }
    }

    private static void fill(MessageQueue<String> q) throws InterruptedException {
        q.put("x", 200);
        q.put("y", 100);
        q.put("z", 100);
    }
}
