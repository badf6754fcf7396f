package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.RingLayout.MAX_USERS;
import static dev.conduit.queue.shm.RingLayout.USER_ATTACHED;
import static dev.conduit.queue.shm.RingLayout.USER_ATTACHED_AT;
import static dev.conduit.queue.shm.RingLayout.USER_GENERATION;
import static dev.conduit.queue.shm.RingLayout.USER_PID;
import static dev.conduit.queue.shm.RingLayout.USER_START;
import static dev.conduit.queue.shm.RingLayout.userOffset;

import dev.conduit.queue.QueueException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The users table of one queue file: which processes have it open, so that a slot's writer or
 * reader tag can be checked against a live process, and stale files can be found. This process
 * holds one entry per file (shared by all its handles), claimed by CAS on the pid word; an entry
 * whose process is dead is taken over, and its generation incremented so that old tags naming it
 * are seen as dead.
 *
 * <p>Thread-safe.
 */
final class ShmUsers {
    private static final VarHandle LONG = SharedRing.LONG;

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
     * while that pid runs), then the generation and its start time, then its pid.
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
            if ((long) LONG.getAcquire(buf, e + USER_PID) == me.pid()
                    && sameStart((long) LONG.getAcquire(buf, e + USER_START), me.startMillis())) {
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
            if (!ownerLives(pid, (long) LONG.getAcquire(buf, e + USER_START))
                    && LONG.compareAndSet(buf, e + USER_PID, pid, -me.pid())) {
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
     */
    private static boolean ownerLives(long pid, long start) {
        return pid < 0 ? ProcessIdentity.isAlive(-pid, 0) : ProcessIdentity.isAlive(pid, start);
    }

    private static boolean sameStart(long a, long b) {
        return a == b || a == 0 || b == 0;
    }

    private static ShmUsers take(ByteBuffer buf, int u, boolean newOwner) {
        int e = userOffset(u);
        ProcessIdentity me = ProcessIdentity.current();
        long generation = newOwner
                ? (long) LONG.getAndAdd(buf, e + USER_GENERATION, 1L) + 1
                : (long) LONG.getAcquire(buf, e + USER_GENERATION);
        LONG.setRelease(buf, e + USER_START, me.startMillis());
        LONG.setRelease(buf, e + USER_ATTACHED_AT, System.currentTimeMillis());
        LONG.setRelease(buf, e + USER_ATTACHED, 1L);
        // A new owner claimed the entry with its negated pid; its pid, stored last, makes the entry
        // its own only once its start time and generation are in place.
        LONG.setRelease(buf, e + USER_PID, me.pid());
        return new ShmUsers(buf, u, generation);
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
        return ProcessIdentity.isAlive((long) LONG.getAcquire(buf, e + USER_PID),
                (long) LONG.getAcquire(buf, e + USER_START));
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
                    && ProcessIdentity.isAlive(buf.getLong(e + USER_PID), buf.getLong(e + USER_START))) {
                n++;
            }
        }
        return n;
    }
}
