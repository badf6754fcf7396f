package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Runs a stress test's threads for a fixed time: as daemons, since a ring's poll that waits for an
 * unpublished claim spins without a deadline, so a wedged thread must fail the test, not hang it.
 */
final class StressRun {
    private StressRun() {
    }

    /**
     * Starts the threads, lets them run, sets {@code stop}, and fails if any thread has not ended
     * within {@code joinMillis} of that (all share one deadline).
     *
     * @param state what to add to the message of a stuck thread (sizes, counts)
     */
    static void runThenStop(List<Thread> threads, AtomicBoolean stop, long runMillis, long joinMillis,
            Supplier<String> state) throws InterruptedException {
        for (Thread t : threads) {
            t.setDaemon(true);
            t.start();
        }
        Thread.sleep(runMillis); // the run's length, not synchronisation
        stop.set(true);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(joinMillis);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            assertTrue(!t.isAlive(), () -> t.getName() + " is stuck" + state.get());
        }
    }
}
