package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.Ray;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deserialization through a ray queue (issue #6): known gadget payloads, an unregistered class id
 * and an object of a class the reader did not allow cross the cluster as queue items. The actor
 * (second node) never decodes them; a Ray task on the head node takes them with the default object
 * codec and gets {@link SerializationException} for each; no JVM of the cluster initializes the
 * canary class; and the good items around them arrive, none lost.
 */
@EnabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
        disabledReason = RayTestCluster.SKIP_REASON)
@ExtendWith(RayDriver.class)
class RayGadgetTest {
    private static String namespace;

    /** A class the writer allows and the reader does not. */
    public static final class NotAllowedPoint {
        /** A coordinate. */
        public int x = 1;
    }

    @BeforeAll
    static void chooseNamespace() throws Exception {
        namespace = RayTestCluster.freshNamespace("gadgets");
        Files.deleteIfExists(GadgetTasks.CANARY_MARK);
    }

    @Test
    @Timeout(180)
    void hostilePayloadsAreRefusedOnAnotherNodeNoneIsInstantiatedAndNoGoodItemIsLost() throws Exception {
        QueueDescriptor d = QueueDescriptor.ray("gadgets").withOption(RayQueueOptions.RAY_NAMESPACE, namespace)
                .withOption(RayQueueOptions.RESOURCES, RayTestCluster.NODE_B + "=1");
        List<byte[]> hostile = new ArrayList<>();
        for (String name : GadgetTasks.CLASS_NAMES) {
            hostile.add(GadgetTasks.byName(name));
        }
        hostile.add(GadgetTasks.unknownId());
        hostile.add(Codecs.<NotAllowedPoint>kryo(NotAllowedPoint.class).encode(new NotAllowedPoint()));
        try (MessageQueue<byte[]> raw = d.open(Codecs.bytes())) {
            // Once with plain gets, once with a consumer that prefetches: the refused item is found
            // in a batch the actor handed over, or among items the handle holds.
            for (QueueDescriptor consumerSide : List.of(d, d.withOption(RayQueueOptions.PREFETCH, "4"))) {
                // Good items between and after hostile ones: a refused item must not take them with it.
                raw.put(Codecs.objects().encode("first"));
                for (int i = 0; i < hostile.size(); i++) {
                    raw.put(hostile.get(i));
                    raw.put(Codecs.objects().encode("after " + i));
                }
                int total = 1 + 2 * hostile.size();
                String report = Ray.get(Ray.task(GadgetTasks::takeAll, consumerSide.toJson(), total, 4)
                        .setResource(RayTestCluster.NODE_A, 1.0).remote(), 120_000);
                System.out.println("gadget task (" + consumerSide.options() + "): " + report);
                assertTrue(report.startsWith("refused=" + hostile.size() + " "), report);
                List<String> expected = new ArrayList<>(List.of("first"));
                for (int i = 0; i < hostile.size(); i++) {
                    expected.add("after " + i);
                }
                assertTrue(report.contains(" decoded=" + expected + " "), "every good item, once, in order: " + report);
                assertTrue(report.contains(" canary=none "), report);
                assertEquals(0, raw.size(), "the hostile items were taken (and refused), not left behind");
            }

            // The driver's own default codec refuses them too, and the queue stays usable.
            try (MessageQueue<Object> objects = d.open(Codecs.objects())) {
                raw.putAll(hostile);
                for (int i = 0; i < hostile.size(); i++) {
                    assertThrows(SerializationException.class, () -> objects.get(Duration.ofSeconds(10)));
                }
                objects.put("still fine");
                assertEquals("still fine", objects.get(Duration.ofSeconds(10)));
            }
            assertFalse(Files.exists(GadgetTasks.CANARY_MARK),
                    "the canary class was initialized in some JVM of the cluster: " + readMark());
            raw.destroy();
        }
    }

    private static String readMark() {
        try {
            return Files.readString(GadgetTasks.CANARY_MARK);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
