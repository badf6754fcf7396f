package dev.conduit.queue.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The host's cache-line floor right now: the round trip of a two-thread busy-spin ping-pong over
 * two cache lines, in nanoseconds. On a VM it is not a constant: on the 2-vCPU machine of
 * 2026-11-27 it moved between about 60–130 ns and about 540–660 ns within minutes (the host
 * placing the two vCPUs on one physical core's SMT siblings, then on different cores), and every
 * queue whose items cross between two threads moved with it (raw MpmcArrayQueue at 1P/1C: 85–100
 * M items/s against 16–19). The in-JVM harness samples it before every fork so that a ratio is
 * read beside the state of the host it was measured in. Not thread-safe: one sample at a time.
 */
final class HostFloor {
    /**
     * Round trips in one batch: well under a millisecond, so that most batches run between two
     * of the scheduler's preemptions when other work shares the cores.
     */
    private static final int ROUND_TRIPS = 1_000;
    /** Batches in one sample; the sample is the fastest. */
    private static final int BATCHES = 25;
    /** The ping's slot and the pong's slot, 256 bytes apart so that each owns its cache line. */
    private static final int PING = 16;
    private static final int PONG = 48;

    private HostFloor() {
    }

    /**
     * Measures the floor: {@value #BATCHES} batches of {@value #ROUND_TRIPS} round trips between
     * this thread and a second one, both spinning. The fastest batch is the floor: a batch in which
     * another process took one of the two cores measures that process, not the cache line.
     *
     * @return the fastest batch's nanoseconds per round trip
     * @throws IllegalStateException if interrupted while waiting for the second thread
     */
    static double sampleNanos() {
        double fastest = Double.POSITIVE_INFINITY;
        for (int b = 0; b < BATCHES; b++) {
            fastest = Math.min(fastest, batchNanos());
        }
        return fastest;
    }

    private static double batchNanos() {
        AtomicLongArray lines = new AtomicLongArray(64);
        Thread pong = new Thread(() -> {
            for (long i = 1; i <= ROUND_TRIPS; i++) {
                while (lines.get(PING) != i) {
                    Thread.onSpinWait();
                }
                lines.set(PONG, i);
            }
        }, "host-floor-pong");
        pong.setDaemon(true);
        pong.start();
        long start = System.nanoTime();
        for (long i = 1; i <= ROUND_TRIPS; i++) {
            lines.set(PING, i);
            while (lines.get(PONG) != i) {
                Thread.onSpinWait();
            }
        }
        long elapsed = System.nanoTime() - start;
        try {
            pong.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the host floor", e);
        }
        return (double) elapsed / ROUND_TRIPS;
    }
}
