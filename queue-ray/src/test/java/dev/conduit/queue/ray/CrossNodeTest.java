package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Java Ray tasks on both nodes of the cluster share one queue. Size: {@code -Dconduit.ray.items}
 * (default 100 000).
 */
@EnabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
        disabledReason = RayTestCluster.SKIP_REASON)
@ExtendWith(RayDriver.class)
class CrossNodeTest {
    private static final int ITEMS = Integer.getInteger("conduit.ray.items", 100_000);
    private static final long TASK_TIMEOUT_MILLIS = 240_000;
    private static String namespace;

    @BeforeAll
    static void chooseNamespace() {
        namespace = RayTestCluster.freshNamespace("cross-node");
    }

    @Test
    @Timeout(300)
    void tasksOnBothNodesMoveEveryItemExactlyOnceInProducerOrder() throws Exception {
        QueueDescriptor d = QueueDescriptor.ray("hundred-thousand").withCapacity(20_000)
                .withOption(RayQueueOptions.RAY_NAMESPACE, namespace)
                .withOption(RayQueueOptions.RESOURCES, RayTestCluster.NODE_B + "=1");
        String json = d.toJson();
        try (MessageQueue<long[]> driver = d.open(Codecs.longs())) {
            driver.size();
            List<ObjectRef<long[]>> consumers = new ArrayList<>();
            List<ObjectRef<String>> producers = new ArrayList<>();
            String[] nodes = {RayTestCluster.NODE_A, RayTestCluster.NODE_B};
            for (String node : nodes) {
                consumers.add(Ray.task(CrossNodeTasks::consume, json, 500).setResource(node, 1.0).remote());
            }
            int half = ITEMS / 2;
            for (int p = 0; p < nodes.length; p++) {
                int count = p == 0 ? half : ITEMS - half;
                producers.add(Ray.task(CrossNodeTasks::produce, json, p, count, 100)
                        .setResource(nodes[p], 1.0).remote());
            }
            List<String> producerNodes = Ray.get(producers, TASK_TIMEOUT_MILLIS);
            assertNotEquals(producerNodes.get(0), producerNodes.get(1), "producers ran on two different nodes");
            for (int i = 0; i < consumers.size(); i++) {
                driver.put(new long[] {CrossNodeTasks.STOP});
            }
            List<long[]> taken = Ray.get(consumers, TASK_TIMEOUT_MILLIS);

            BitSet[] seen = {new BitSet(half), new BitSet(ITEMS - half)};
            int total = 0;
            for (long[] items : taken) {
                long[] last = {-1, -1};
                for (long v : items) {
                    int producer = (int) (v / 1_000_000_000L);
                    int i = (int) (v % 1_000_000_000L);
                    assertTrue(i > last[producer], "one consumer saw producer " + producer + "'s items out of order");
                    last[producer] = i;
                    assertTrue(!seen[producer].get(i), "item " + v + " delivered twice");
                    seen[producer].set(i);
                    total++;
                }
            }
            assertEquals(ITEMS, total, "items delivered");
            assertEquals(half, seen[0].cardinality());
            assertEquals(ITEMS - half, seen[1].cardinality());
            assertEquals(0, driver.size(), "queue empty at the end");
            driver.destroy();
        }
    }

    @Test
    @Timeout(120)
    void descriptorMadeInATaskOnOneNodeOpensTheSameQueueInATaskOnTheOther() {
        String made = Ray.get(Ray.task(CrossNodeTasks::createAndPut, namespace, "relay", "from node a")
                .setResource(RayTestCluster.NODE_A, 1.0).remote(), 60_000);
        String[] madeParts = made.split("\n");
        String got = Ray.get(Ray.task(CrossNodeTasks::openAndGet, madeParts[0])
                .setResource(RayTestCluster.NODE_B, 1.0).remote(), 60_000);
        String[] gotParts = got.split("\n");
        assertEquals("from node a", gotParts[0]);
        assertNotEquals(madeParts[1], gotParts[1], "the two tasks ran on different nodes");
        QueueDescriptor.fromJson(madeParts[0]).open().destroy();
    }
}
