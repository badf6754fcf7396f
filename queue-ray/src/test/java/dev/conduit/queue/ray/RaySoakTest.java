package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.reliability.SoakWorkload;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reduced soak of the ray backend in the cluster suite: {@link RaySoak}'s run (the mixed
 * workload of {@code scripts/soak.sh} against a queue whose actor is on the second node) for
 * {@code -Dconduit.ray.soak.seconds} (24) instead of ten minutes, with every item accounted for and
 * the driver's heap after GC flat. The long run: {@code scripts/ray-cluster.sh soak --seconds 600}.
 */
@EnabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
        disabledReason = RayTestCluster.SKIP_REASON)
@ExtendWith(RayDriver.class)
class RaySoakTest {
    private static final int SECONDS = Integer.getInteger("conduit.ray.soak.seconds", 24);

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS) // 24 s of traffic, an actor start and the drain on a loaded machine
    void mixedWorkloadThroughARayQueueLosesNothingAndKeepsMemoryFlat() throws Exception {
        SoakWorkload.Result r = new SoakWorkload(SECONDS, 3, 2, 2)
                .run("ray", RaySoak.queue(RayTestCluster.freshNamespace("soak")), RaySoak.javaWorkersRss());
        System.out.println(RaySoak.summary(r, 4));
        assertTrue(r.items() > 0, "no item moved through the ray queue");
        assertEquals(0, r.lost(), () -> "items lost on ray" + (r.problem() == null ? "" : ": " + r.problem()));
        assertEquals(0, r.duplicated(), "items duplicated on ray");
        assertTrue(r.memoryFlat(), "heap grew from " + r.warmHeapMib() + " to " + r.endHeapMib() + " MiB on ray");
    }
}
