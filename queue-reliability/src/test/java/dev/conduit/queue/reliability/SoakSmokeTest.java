package dev.conduit.queue.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reduced soak CI runs: each backend for a few seconds under the same mixed workload as
 * {@code scripts/soak.sh} (which runs ten minutes each), with every item accounted for and the heap
 * after GC flat. Length: {@code -Dconduit.soak.seconds}.
 */
class SoakSmokeTest {
    private static final int SECONDS = Integer.getInteger("conduit.soak.seconds", 8);

    @ParameterizedTest
    @ValueSource(strings = {"local", "priority", "shm", "rpc"})
    @Timeout(120)
    void mixedWorkloadLosesNothingAndKeepsMemoryFlat(String backend) throws Exception {
        SoakWorkload.Result r = new SoakRunner(SECONDS, 2, 2, 2).run(backend);
        assertTrue(r.items() > 0, "no item moved through " + backend);
        assertEquals(0, r.lost(), () -> "items lost on " + backend + (r.problem() == null ? "" : ": " + r.problem()));
        assertEquals(0, r.duplicated(), "items duplicated on " + backend);
        assertTrue(r.memoryFlat(), "heap grew from " + r.warmHeapMib() + " to " + r.endHeapMib() + " MiB on " + backend);
    }
}
