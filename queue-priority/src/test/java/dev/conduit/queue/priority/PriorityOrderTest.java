package dev.conduit.queue.priority;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PriorityOrderTest {
    @Test
    void dequeuesByPriorityThenInsertionOrderAsInTheSeed() throws Exception {
        try (MessageQueue<String> q = QueueDescriptor.priority("seed-order").withCapacity(100).open()) {
            q.put("A", 100);
            q.put("B", 200);
            q.put("C", 100);
            q.put("D", 150);
            assertEquals(List.of("B", "D", "A", "C"), q.getBatch(10, Duration.ZERO));
            q.destroy();
        }
    }

    @Test
    void rejectPolicyThrowsAtOnceEvenWithATimeout() throws Exception {
        QueueDescriptor d = QueueDescriptor.priority("reject").withCapacity(2).withOption("backpressure", "REJECT");
        try (MessageQueue<Integer> q = d.open()) {
            q.put(1);
            q.put(2);
            long t0 = System.nanoTime();
            assertThrows(QueueFullException.class, () -> q.put(3, Duration.ofSeconds(5)));
            assertEquals(true, System.nanoTime() - t0 < Duration.ofSeconds(1).toNanos());
            assertEquals(1, q.metrics().rejected());
            q.destroy();
        }
    }

    @Test
    void dropOldestDropsTheOldestOfTheLowestPriorityAndCountsIt() throws Exception {
        QueueDescriptor d = QueueDescriptor.priority("drop").withCapacity(3).withOption("backpressure", "DROP_OLDEST");
        try (MessageQueue<String> q = d.open()) {
            q.put("low-old", 10);
            q.put("low-new", 10);
            q.put("high", 200);
            q.put("mid", 100);      // drops low-old
            q.put("lowest", 5);     // lower than everything queued: itself dropped
            assertEquals(List.of("high", "mid", "low-new"), q.getBatch(10, Duration.ZERO));
            assertEquals(2, q.metrics().dropped());
            q.destroy();
        }
    }
}
