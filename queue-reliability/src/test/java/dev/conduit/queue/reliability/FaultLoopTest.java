package dev.conduit.queue.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reduced fault loops CI runs: a few SIGKILLs of real shm producer and consumer processes, and
 * of a real rpc server process (durable and in-memory queue), each checked against the documented
 * guarantee. The long loops: {@code scripts/faults.sh shm|rpc|rpc-in-memory --trials 100}. Trials
 * here: {@code -Dconduit.faults.trials} (default 2); seed: {@code -Dconduit.faults.seed}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FaultLoopTest {
    private static final int TRIALS = Integer.getInteger("conduit.faults.trials", 2);
    private static final long SEED = Long.getLong("conduit.faults.seed", System.nanoTime());

    private static void assertHeld(FaultTally t) {
        System.out.println(t.line());
        assertEquals(TRIALS, t.trials());
        assertTrue(t.faults() >= TRIALS, t.line());
        assertTrue(t.acknowledged() > 0, t.line());
        assertTrue(t.guaranteeHeld(), t.line());
    }

    @Test
    void killingShmProducersAndConsumersLosesAtMostWhatTheKilledConsumersHeldAndDuplicatesNothing(@TempDir Path dir)
            throws Exception {
        FaultTally t = new ShmFaultLoop(TRIALS, SEED, dir).run();
        assertHeld(t);
        assertEquals(0, t.duplicated(), t.line());
    }

    @Test
    void killingTheRpcServerOfADurableQueueLosesNoAcknowledgedItemButAnswersOnTheWire(@TempDir Path dir)
            throws Exception {
        assertHeld(new RpcFaultLoop(true, TRIALS, SEED, dir).run());
    }

    @Test
    void killingTheRpcServerOfAnInMemoryQueueEndsEveryCallWithAClearErrorAndNeverDuplicates(@TempDir Path dir)
            throws Exception {
        FaultTally t = new RpcFaultLoop(false, TRIALS, SEED, dir).run();
        assertHeld(t);
        assertEquals(0, t.duplicated(), t.line());
        assertTrue(t.details().get("serverUnavailable") + t.details().get("serverRestarted") > 0, t.line());
    }
}
