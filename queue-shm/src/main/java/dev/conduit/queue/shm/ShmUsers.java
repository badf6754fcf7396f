package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.RingLayout.MAX_USERS;
import static dev.conduit.queue.shm.RingLayout.USER_ATTACHED;
import static dev.conduit.queue.shm.RingLayout.USER_ATTACHED_AT;
import static dev.conduit.queue.shm.RingLayout.USER_GENERATION;
import static dev.conduit.queue.shm.RingLayout.USER_PID;
import static dev.conduit.queue.shm.RingLayout.USER_START;
import static dev.conduit.queue.shm.RingLayout.USER_START_TICKS;
import static dev.conduit.queue.shm.RingLayout.USER_TICKS_GENERATION;
import static dev.conduit.queue.shm.RingLayout.userOffset;

import dev.conduit.queue.QueueException;
import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The users table of one queue file: which processes have it open, so that a slot's writer or
 * reader tag can be checked against a live process, and stale files can be found. This process
 * holds one entry per file (shared by all its handles), claimed by CAS on the pid word; an entry
 * whose process is dead is taken over, and its generation incremented so that old tags naming it
 * are seen as dead.
 *
 * <p>An entry names its process by pid and start time. Where the host has {@code /proc} (Linux),
 * the start time compared is the one in clock ticks since boot, which a step of the wall clock
 * does not move; elsewhere, and for entries that do not carry it (written by an older Conduit),
 * {@link ProcessHandle}'s start instant, which a JVM started after a step computes off by that
 * step for processes started before it.
 *
 * <p>Thread-safe.
 */
final class ShmUsers {
    private static final VarHandle LONG = SharedRing.LONG;
    /** This process's start ticks ({@link #startTicks(long)}), 0 where the host does not say. */
    private static final long MY_START_TICKS = startTicks(ProcessIdentity.current().pid());

    /**
     * Tests only: run by {@link #attach} right after it has claimed a dead process's entry, before it
     * makes the entry its own, so that a test can look at the entry from another process then.
     */
    static volatile Runnable afterClaimForTests;

    private final ByteBuffer buf;
    private final int user;
    private final long generation;

    private ShmUsers(ByteBuffer buf, int user, long generation) {
        this.buf = buf;
        this.user = user;
        this.generation = generation;
    }

    /**
     * Claims an entry for this process: its own earlier entry, an unused one, or one whose process
     * is dead. A new owner first stores its negated pid by CAS (no other process takes the entry
     * while that pid runs), then the generation, its start time and start ticks, then its pid.
     *
     * @param buf the mapping
     * @param name the queue, for messages
     * @return the claim
     * @throws QueueException when every entry belongs to a live process
     */
    static ShmUsers attach(ByteBuffer buf, String name) {
        ProcessIdentity me = ProcessIdentity.current();
        for (int u = 0; u < MAX_USERS; u++) {
            int e = userOffset(u);
            if ((long) LONG.getAcquire(buf, e + USER_PID) == me.pid() && isMine(buf, e)) {
                return take(buf, u, false);
            }
        }
        for (int u = 0; u < MAX_USERS; u++) {
            int e = userOffset(u);
            if (LONG.compareAndSet(buf, e + USER_PID, 0L, -me.pid())) {
                return take(buf, u, true);
            }
        }
        for (int u = 0; u < MAX_USERS; u++) {
            int e = userOffset(u);
            long pid = (long) LONG.getAcquire(buf, e + USER_PID);
            if (!ownerLives(buf, e, pid) && LONG.compareAndSet(buf, e + USER_PID, pid, -me.pid())) {
                Runnable hook = afterClaimForTests;
                if (hook != null) {
                    hook.run();
                }
                return take(buf, u, true);
            }
        }
        throw new QueueException("shared-memory queue " + name + " already has " + MAX_USERS
                + " live processes attached; close some handles or use another queue");
    }

    /**
     * Whether the process an entry's pid word names runs. A negative word is a claim in progress:
     * the process {@code -pid} has taken the entry and not yet stored its start time and generation
     * (the entry's start time is still the dead owner's, which with the new pid would read as a
     * reused pid); it lives while that pid runs.
     *
     * @param pid the entry's pid word, read (with acquire) before its other words
     */
    private static boolean ownerLives(ByteBuffer buf, int e, long pid) {
        return pid < 0 ? ProcessIdentity.isAlive(-pid, 0) : entryLives(buf, e, pid);
    }

    /** Whether an entry naming this process's pid is its own, not a previous process's with that pid. */
    private static boolean isMine(ByteBuffer buf, int e) {
        long ticks = recordedTicks((long) LONG.getAcquire(buf, e + USER_GENERATION),
                (long) LONG.getAcquire(buf, e + USER_START_TICKS),
                (long) LONG.getAcquire(buf, e + USER_TICKS_GENERATION));
        if (ticks != 0 && MY_START_TICKS != 0) {
            return ticks == MY_START_TICKS;
        }
        long a = (long) LONG.getAcquire(buf, e + USER_START);
        long b = ProcessIdentity.current().startMillis();
        return a == b || a == 0 || b == 0;
    }

    /**
     * Whether the process an entry names runs.
     *
     * @param pid the entry's pid word, read (with acquire) before the words read here, so that they
     *     are at least as new as that pid's
     */
    private static boolean entryLives(ByteBuffer buf, int e, long pid) {
        return isAlive(pid, (long) LONG.getAcquire(buf, e + USER_START),
                recordedTicks((long) LONG.getAcquire(buf, e + USER_GENERATION),
                        (long) LONG.getAcquire(buf, e + USER_START_TICKS),
                        (long) LONG.getAcquire(buf, e + USER_TICKS_GENERATION)));
    }

    /**
     * The start ticks an entry records for its owner: 0 when none (a file written before they were
     * recorded) or when they were recorded for another generation (an older Conduit took the entry
     * over without writing them: they are the previous owner's).
     */
    private static long recordedTicks(long generation, long ticks, long ticksGeneration) {
        return ticksGeneration == generation ? ticks : 0;
    }

    /**
     * Whether the process an entry recorded runs: by its start ticks when the entry has them and
     * this host's {@code /proc} says them (a step of the wall clock moves neither), else by its
     * start instant ({@link ProcessIdentity#isAlive}). A zombie counts as dead.
     *
     * @param pid the recorded pid; 0 or negative is never alive
     * @param startMillis the recorded start instant, 0 when unknown
     * @param ticks the recorded start ticks, 0 when unknown
     */
    private static boolean isAlive(long pid, long startMillis, long ticks) {
        if (pid <= 0) {
            return false;
        }
        if (ticks != 0 && MY_START_TICKS != 0) {
            if (pid == ProcessIdentity.current().pid()) {
                return ticks == MY_START_TICKS;
            }
            String stat = readStat(pid);
            long actual = stat == null ? 0 : startTicks(stat);
            if (actual != 0) {
                char state = state(stat);
                return actual == ticks && state != 'Z' && state != 'X';
            }
            // No /proc entry: the process is gone (or hidden from this user); the fallback says which.
        }
        return ProcessIdentity.isAlive(pid, startMillis);
    }

    private static ShmUsers take(ByteBuffer buf, int u, boolean newOwner) {
        int e = userOffset(u);
        ProcessIdentity me = ProcessIdentity.current();
        long generation = newOwner
                ? (long) LONG.getAndAdd(buf, e + USER_GENERATION, 1L) + 1
                : (long) LONG.getAcquire(buf, e + USER_GENERATION);
        LONG.setRelease(buf, e + USER_START, me.startMillis());
        LONG.setRelease(buf, e + USER_START_TICKS, MY_START_TICKS);
        LONG.setRelease(buf, e + USER_TICKS_GENERATION, generation);
        LONG.setRelease(buf, e + USER_ATTACHED_AT, System.currentTimeMillis());
        LONG.setRelease(buf, e + USER_ATTACHED, 1L);
        // A new owner claimed the entry with its negated pid; its pid, stored last, makes the entry
        // its own only once its start time, start ticks and generation are in place.
        LONG.setRelease(buf, e + USER_PID, me.pid());
        return new ShmUsers(buf, u, generation);
    }

    /**
     * A process's start time in clock ticks since boot: field 22 of {@code /proc/<pid>/stat}, which,
     * unlike {@link ProcessHandle.Info#startInstant()} (boot time as {@code /proc/stat}'s {@code
     * btime} says it, plus these ticks), a step of the wall clock does not move.
     *
     * @param pid the process
     * @return its start ticks, or 0 when the host has no {@code /proc} or the process is gone
     */
    static long startTicks(long pid) {
        String stat = readStat(pid);
        return stat == null ? 0 : startTicks(stat);
    }

    /**
     * Field 22 of a {@code /proc/<pid>/stat} line. Field 2, the command name, is in parentheses and
     * may itself hold spaces and parentheses, so the fields are counted from its last {@code ')'}:
     * after it come field 3 (the state) and on, separated by single spaces.
     *
     * @param stat the line
     * @return the start ticks, or 0 when the line is not one
     */
    static long startTicks(String stat) {
        int i = stat.lastIndexOf(')');
        if (i < 0) {
            return 0;
        }
        int field = 2;
        int from = -1;
        for (i++; i < stat.length(); i++) {
            if (stat.charAt(i) == ' ') {
                if (field == 22) {
                    break;
                }
                field++;
                from = i + 1;
            }
        }
        if (field != 22 || from < 0) {
            return 0;
        }
        try {
            long ticks = Long.parseLong(stat.substring(from, i).trim());
            return Math.max(ticks, 0);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** @return the state letter (field 3) of a {@code /proc/<pid>/stat} line, or 0 */
    private static char state(String stat) {
        int i = stat.lastIndexOf(')');
        return i >= 0 && i + 2 < stat.length() ? stat.charAt(i + 2) : 0;
    }

    /** @return the text of {@code /proc/<pid>/stat}, or null when it cannot be read */
    private static String readStat(long pid) {
        if (pid <= 0) {
            return null;
        }
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat")),
                    StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Marks this process's entry detached; its tags stay valid while the process lives. */
    void detach() {
        LONG.setRelease(buf, userOffset(user) + USER_ATTACHED, 0L);
    }

    /** @return this process's entry */
    int user() {
        return user;
    }

    /** @return the entry's generation when this process claimed it */
    long generation() {
        return generation;
    }

    /**
     * Whether the process a writer or reader tag names still runs.
     *
     * @param tag a tag from a slot
     * @return true when that process runs; false when it is dead, when the entry changed owner
     *     since the tag was written, or when the tag is damaged and names no entry
     */
    boolean isAlive(long tag) {
        int u = RingLayout.tagUser(tag);
        if (u < 0) {
            return false;
        }
        int e = userOffset(u);
        long gen = (long) LONG.getAcquire(buf, e + USER_GENERATION);
        if ((gen & 0xFF) != RingLayout.tagGeneration(tag)) {
            return false;
        }
        return entryLives(buf, e, (long) LONG.getAcquire(buf, e + USER_PID));
    }

    /**
     * Counts processes that have the queue open and are alive.
     *
     * @param buf a mapping of the file (read-only is fine)
     * @return the count
     */
    static int liveAttached(ByteBuffer buf) {
        int n = 0;
        for (int u = 0; u < MAX_USERS; u++) {
            int e = userOffset(u);
            if (buf.getLong(e + USER_ATTACHED) == 1L
                    && isAlive(buf.getLong(e + USER_PID), buf.getLong(e + USER_START),
                            recordedTicks(buf.getLong(e + USER_GENERATION), buf.getLong(e + USER_START_TICKS),
                                    buf.getLong(e + USER_TICKS_GENERATION)))) {
                n++;
            }
        }
        return n;
    }
}
