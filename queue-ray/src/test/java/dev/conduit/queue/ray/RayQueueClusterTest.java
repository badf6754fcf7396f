package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.codec.Codecs;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ray backend against a real cluster, from this JVM's driver. */
@EnabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
        disabledReason = RayTestCluster.SKIP_REASON)
@ExtendWith(RayDriver.class)
@Timeout(120)
class RayQueueClusterTest {
    private static String namespace;

    @BeforeAll
    static void chooseNamespace() {
        namespace = RayTestCluster.freshNamespace("cluster");
    }

    private static QueueDescriptor queue(String id) {
        return QueueDescriptor.ray(id).withOption(RayQueueOptions.RAY_NAMESPACE, namespace);
    }

    @Test
    void itemPutThroughOneHandleIsTakenThroughAnother() throws Exception {
        QueueDescriptor d = queue("two-handles");
        try (MessageQueue<String> a = d.open(Codecs.string()); MessageQueue<String> b = d.open(Codecs.string())) {
            a.put("hello");
            a.putAll(List.of("x", "y", "z"));
            assertEquals("hello", b.get(Duration.ofSeconds(5)));
            assertEquals(List.of("x", "y", "z"), b.getBatch(10, Duration.ofSeconds(5)));
            assertThrows(QueueEmptyException.class, () -> b.get(Duration.ofMillis(50)));
            a.destroy();
        }
    }

    @Test
    void getWaitsInsideTheActorUntilAnotherHandlePuts() throws Exception {
        QueueDescriptor d = queue("wakes");
        try (MessageQueue<String> consumer = d.open(Codecs.string());
                MessageQueue<String> producer = d.open(Codecs.string())) {
            consumer.size();
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(300);
                    producer.put("late");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            long t0 = System.nanoTime();
            assertEquals("late", consumer.get(Duration.ofSeconds(20)));
            assertTrue(System.nanoTime() - t0 >= 250_000_000L);
            assertEquals(1, consumer.metrics().waits());
            t.join();
            consumer.destroy();
        }
    }
}
