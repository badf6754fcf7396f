package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalSmokeTest {
    @Test
    void equalDescriptorsOpenTheSameQueueAndCapacityIsExact() throws Exception {
        QueueDescriptor d = QueueDescriptor.local("smoke").withCapacity(3);
        try (MessageQueue<String> a = d.open(); MessageQueue<String> b = QueueDescriptor.fromJson(d.toJson()).open()) {
            a.put("x");
            a.putAll(List.of("y", "z"));
            assertTrue(a.isFull());
            assertFalse(a.offer("w"));
            assertThrows(QueueFullException.class, () -> a.put("w", Duration.ofMillis(20)));
            assertEquals("x", b.get());
            assertEquals(List.of("y", "z"), b.getBatch(10, Duration.ZERO));
            assertThrows(QueueEmptyException.class, () -> b.get(Duration.ofMillis(20)));
            assertEquals(3, a.metrics().puts());
            assertEquals(3, a.metrics().gets());
            b.destroy();
        }
    }
}
