package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueDescriptor;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/** The backend's discovery and option checks; no cluster needed. */
class RayBackendTest {

    @Test
    @DisabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
            disabledReason = "the cluster run has Ray's runtime on the class path")
    void unavailableWithoutRaysRuntimeOnTheClassPath() {
        // Only the compile-time API jar is on this class path, not ray_dist.jar.
        assertFalse(new RayBackend().isAvailable());
    }

    @Test
    void declaresADistributedPriorityQueue() {
        RayBackend b = new RayBackend();
        assertEquals("ray", b.type());
        assertTrue(b.capabilities().containsAll(
                java.util.Set.of(Capability.DISTRIBUTED, Capability.PRIORITY, Capability.TRANSACTIONS)));
    }

    @Test
    void optionsNameTheActorAndItsResources() {
        RayQueueOptions o = RayQueueOptions.of(QueueDescriptor.ray("jobs").withNamespace("run-1")
                .withOption("resources", "CPU=0.5, conduit_node_b=1").withOption("maxRestarts", "2"));
        assertEquals("conduit", o.rayNamespace());
        assertEquals("run-1/jobs", o.actorName());
        assertEquals(Map.of("CPU", 0.5, "conduit_node_b", 1.0), o.resources());
        assertEquals(2, o.maxRestarts());
    }

    @Test
    void malformedOptionsAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RayQueueOptions.of(QueueDescriptor.ray("q").withOption("resources", "CPU")));
        assertTrue(e.getMessage().contains("resources"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RayQueueOptions.of(QueueDescriptor.ray("q").withOption("waitThreads", "0")));
        assertTrue(e.getMessage().contains("waitThreads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RayQueueOptions.of(QueueDescriptor.ray("q").withOption("host", "no spaces")));
        assertTrue(e.getMessage().contains("host"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RayQueueOptions.of(QueueDescriptor.ray("q").withOption("backpressure", "DROP_OLDEST")));
        assertTrue(e.getMessage().contains("BLOCK only"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> RayQueueOptions.of(QueueDescriptor.ray("q").withOption("pipeline", "-1")));
        assertTrue(e.getMessage().contains("pipeline"), e.getMessage());
    }

    @Test
    void aSharedHostIsOneActorNamedApartFromEveryDedicatedQueueActor() {
        RayQueueOptions a = RayQueueOptions.of(QueueDescriptor.ray("a").withNamespace("n").withOption("host", "h"));
        RayQueueOptions b = RayQueueOptions.of(QueueDescriptor.ray("b").withNamespace("n").withOption("host", "h"));
        RayQueueOptions alone = RayQueueOptions.of(QueueDescriptor.ray("a").withNamespace("n"));
        assertEquals(a.actorName(), b.actorName(), "both queues live in the host's actor");
        assertEquals("n/a", a.queueName());
        assertEquals("n/b", b.queueName());
        assertTrue(a.shared());
        assertFalse(alone.shared());
        assertEquals("n/a", alone.actorName());
        assertFalse(a.actorName().equals(alone.actorName()));
    }
}
