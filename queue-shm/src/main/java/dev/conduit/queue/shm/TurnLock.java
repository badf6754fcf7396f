package dev.conduit.queue.shm;

import dev.conduit.queue.spi.BackoffIdleStrategy;
import dev.conduit.queue.spi.IdleStrategy;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The turns of one process's threads on one side of a single-consumer ring: a CAS to take the turn
 * and a release store to give it back. It is held only for one attempt on the ring (a copy), never
 * while a caller waits for room or an item, so a thread waiting for the turn spins, yields, then
 * parks briefly ({@link BackoffIdleStrategy}), and a caller's timeout and interruption are honoured
 * by its own wait loop. Unlike {@link java.util.concurrent.locks.ReentrantLock}, giving the turn back is a plain ordered store,
 * with no full fence: on the hot path of a put or a take that fence cost about as much as the
 * rest of the ring's work. Not reentrant. Thread-safe.
 */
final class TurnLock {
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(TurnLock.class, "held", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through HELD
    private volatile int held;

    /** Takes the turn, waiting (spin, then yield) while another thread of this process holds it. */
    void lock() {
        if (!HELD.compareAndSet(this, 0, 1)) {
            await();
        }
    }

    private void await() {
        IdleStrategy idle = new BackoffIdleStrategy(); // the slow path only: a turn is held for one copy
        for (int attempt = 0; !((int) HELD.getOpaque(this) == 0 && HELD.compareAndSet(this, 0, 1)); attempt++) {
            idle.idle(attempt);
        }
    }

    /** Gives the turn back; only its holder calls this. */
    void unlock() {
        HELD.setRelease(this, 0);
    }
}
