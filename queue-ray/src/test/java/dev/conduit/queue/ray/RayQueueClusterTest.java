package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.ActorHandle;
import io.ray.api.Ray;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    @Timeout(90)
    void coalescedPutsOfTwoThreadsOnOneHandleArriveOnceAndInEachThreadsOrder() throws Exception {
        // A window of two calls is full at once, so most puts are held back and sent coalesced; a
        // capacity below the puts also makes the handle run out of known room and wait.
        QueueDescriptor d = queue("coalesce").withCapacity(500).withOption(RayQueueOptions.PIPELINE, "2");
        int threads = 2;
        int perThread = 3000;
        try (MessageQueue<String> producer = d.open(Codecs.string());
                MessageQueue<String> consumer = d.open(Codecs.string())) {
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<Thread> producers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Thread p = new Thread(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            producer.put(thread + ":" + i);
                        }
                    } catch (Throwable e) {
                        failed.compareAndSet(null, e);
                    }
                }, "coalesce-producer-" + t);
                producers.add(p);
                p.start();
            }
            int[] next = new int[threads];
            int got = 0;
            while (got < threads * perThread) {
                List<String> items = consumer.getBatch(500, Duration.ofSeconds(20));
                assertFalse(items.isEmpty(), () -> "no item after 20 s, producer failure: " + failed.get());
                for (String item : items) {
                    int colon = item.indexOf(':');
                    int thread = Integer.parseInt(item.substring(0, colon));
                    assertEquals(next[thread], Integer.parseInt(item.substring(colon + 1)),
                            "thread " + thread + "'s items, once each and in its order");
                    next[thread]++;
                }
                got += items.size();
            }
            for (Thread p : producers) {
                p.join(TimeUnit.SECONDS.toMillis(20));
            }
            assertEquals(null, failed.get());
            assertThrows(QueueEmptyException.class, () -> consumer.get(Duration.ofMillis(200)));
            assertEquals(threads * perThread, consumer.metrics().puts());
            producer.close();
            consumer.destroy();
        }
    }

    @Test
    void aHeldBackPutFollowedByNothingIsSentWithinTheLinger() throws Exception {
        QueueDescriptor d = queue("linger").withOption(RayQueueOptions.PIPELINE, "1");
        RayQueueOptions o = RayQueueOptions.of(d);
        try (MessageQueue<String> producer = d.open(Codecs.string())) {
            producer.put("first");
            // The window of one call is full (its answer was never collected): this put is held back.
            producer.put("held");
            // Watch the actor directly: any call of a handle of this process would send it.
            ActorHandle<QueueActor> actor = Ray.<ActorHandle<QueueActor>>getActor(o.actorName(), o.rayNamespace())
                    .orElseThrow();
            long id = Ray.get(actor.task(QueueActor::open, o.queueName(), d.capacity()).remote())[0];
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int size;
            while ((size = Ray.get(actor.task(QueueActor::size, id).remote())) < 2 && System.nanoTime() < giveUp) {
                Thread.sleep(5);
            }
            assertEquals(2, size, "the held-back put reached the actor with no further call of its handle");
            try (MessageQueue<String> consumer = d.open(Codecs.string())) {
                assertEquals(List.of("first", "held"), consumer.getBatch(10, Duration.ofSeconds(5)));
            }
            producer.destroy();
        }
    }
}
