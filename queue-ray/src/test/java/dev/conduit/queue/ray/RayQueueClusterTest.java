package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueClosedException;
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
            QueueClosedException gone = assertThrows(QueueClosedException.class, b::size);
            assertTrue(gone.getMessage().contains("actor is dead"), gone.getMessage());
        }
    }

    @Test
    void prefetchedItemsThatWereNotHandedOutGoBackOnCloseInOrder() throws Exception {
        QueueDescriptor d = queue("prefetch").withOption(RayQueueOptions.HOST, "cluster-test");
        try (MessageQueue<String> producer = d.open(Codecs.string());
                MessageQueue<String> other = d.open(Codecs.string())) {
            producer.putAll(List.of("1", "2", "3", "4", "5"));
            MessageQueue<String> prefetching = d.withOption(RayQueueOptions.PREFETCH, "100").open(Codecs.string());
            assertEquals("1", prefetching.get(Duration.ofSeconds(5)));
            assertEquals(4, prefetching.size(), "the handle counts what it holds");
            assertEquals(0, other.size(), "held items are taken as far as the queue is concerned");
            assertEquals(List.of("2", "3"), prefetching.getBatch(2, Duration.ZERO));
            producer.put("6");
            prefetching.close();
            assertEquals(List.of("4", "5", "6"), other.getBatch(10, Duration.ofSeconds(5)));
            assertEquals(6, other.metrics().gets(), "returned items count as not taken");
            producer.destroy();
        } finally {
            RayBackend.destroyHost(d);
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
