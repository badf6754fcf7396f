package dev.conduit.queue.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Disabled;
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
    @Disabled("BUG (queue-rpc, RemoteQueue.call): acknowledged items of a durable queue are lost silently when the "
            + "server is killed: scripts/faults.sh rpc --trials 10 (seed 13675324833558) printed lost=2 with "
            + "getsFailed=0. RemoteQueue.call retries every operation, Get included, on UNAVAILABLE until "
            + "reconnectMillis; a Get whose item the dying server had already taken from the journal is retried "
            + "against the restarted server and returns without error, so the item is gone and no caller was told. "
            + "docs/rpc.md promises ServerUnavailableException or ServerRestartedException in that case. Kept strict.")
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
