package dev.conduit.queue.shm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process on this host named so that a reused pid is not mistaken for it: its pid and its start
 * time. Immutable and thread-safe.
 *
 * @param pid the process id
 * @param startMillis its start time in epoch milliseconds, 0 when the platform does not say
 */
record ProcessIdentity(long pid, long startMillis) {
    /** Start times of one process read twice may differ by the clock tick used to compute them. */
    private static final long START_TOLERANCE_MILLIS = 20;
    private static final ProcessIdentity CURRENT = of(ProcessHandle.current());

    /** @return this process */
    static ProcessIdentity current() {
        return CURRENT;
    }

    private static ProcessIdentity of(ProcessHandle h) {
        return new ProcessIdentity(h.pid(), startMillis(h));
    }

    private static long startMillis(ProcessHandle h) {
        return h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }

    /**
     * Whether the process a user entry recorded is still running. A zombie (killed, not yet
     * reaped by its parent) counts as dead; so does a live process whose start time differs (the
     * pid was reused).
     *
     * @param pid the recorded pid; 0 or negative is never alive
     * @param startMillis the recorded start time, 0 when unknown
     * @return true when that very process runs
     */
    static boolean isAlive(long pid, long startMillis) {
        if (pid <= 0) {
            return false;
        }
        if (pid == CURRENT.pid) {
            return startMillis == 0 || Math.abs(startMillis - CURRENT.startMillis) <= START_TOLERANCE_MILLIS;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive() || isZombie(pid)) {
            return false;
        }
        if (startMillis == 0) {
            return true;
        }
        long actual = startMillis(h.get());
        return actual == 0 || Math.abs(actual - startMillis) <= START_TOLERANCE_MILLIS;
    }

    /** On Linux, a killed child stays a zombie until reaped; {@code kill(pid, 0)} still succeeds. */
    private static boolean isZombie(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String s = new String(Files.readAllBytes(stat), StandardCharsets.US_ASCII);
            int close = s.lastIndexOf(')');
            if (close < 0 || close + 2 >= s.length()) {
                return false;
            }
            char state = s.charAt(close + 2);
            return state == 'Z' || state == 'X';
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
