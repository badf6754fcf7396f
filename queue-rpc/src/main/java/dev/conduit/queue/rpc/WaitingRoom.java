package dev.conduit.queue.rpc;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The calls waiting on the server for one reader of a hosted queue (the queue itself, or one
 * broadcast subscriber), without a thread per call: a waiting get is an entry here, answered by
 * whichever thread next {@linkplain #dispatch() dispatches} (the put that made an item available,
 * the periodic sweep, or the waiter's own registration).
 *
 * <p>Waiters are served in arrival order. One dispatch runs at a time (a work-in-progress counter
 * makes concurrent callers hand their work to the running one), so only the dispatcher claims
 * waiters, and a waiter's answer is sent exactly once: by the dispatcher, its timeout, or never
 * (when its call was cancelled).
 *
 * <p>Thread-safe.
 */
final class WaitingRoom {
    /** Every this many waits, the line drops the waiters answered without the dispatcher. */
    private static final int PRUNE_EVERY = 256;

    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicInteger awaits = new AtomicInteger();
    private final ScheduledExecutorService timer;

    WaitingRoom(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** @return whether any call is waiting */
    boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    /** @return how many waiters the line holds, answered ones not yet dropped included (for tests) */
    int waiting() {
        return waiters.size();
    }

    /**
     * Adds a waiter, arms its timeout and dispatches at once, so an item that arrived between the
     * caller's own attempt and this registration is not missed.
     *
     * @param w the waiter
     * @param waitNanos its longest wait
     */
    void await(Waiter w, long waitNanos) {
        w.timeout = timer.schedule(w::timeOut, waitNanos, TimeUnit.NANOSECONDS);
        waiters.add(w);
        if (awaits.incrementAndGet() % PRUNE_EVERY == 0) {
            // A waiter that timed out or was cancelled leaves the line when the dispatcher reaches
            // it, which a waiter ahead that cannot be served delays for as long as that one waits.
            waiters.removeIf(Waiter::isDone);
        }
        dispatch();
    }

    /** Serves waiters while they can be served. Cheap when nobody waits. */
    void dispatch() {
        if (waiters.isEmpty() || wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            drain();
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drain() {
        Waiter w;
        while ((w = waiters.peek()) != null) {
            if (!w.claim()) {
                waiters.remove(w);
                continue;
            }
            boolean served;
            try {
                served = w.serve();
            } catch (RuntimeException e) {
                w.finish();
                waiters.remove(w);
                w.fail(e);
                continue;
            }
            if (!served) {
                w.release();
                return;
            }
            w.finish();
            waiters.remove(w);
        }
    }

    /**
     * Ends every wait with {@code failure} (queue destroyed, server closing).
     *
     * @param failure what the waiting calls receive
     */
    void failAll(RuntimeException failure) {
        Waiter w;
        while ((w = waiters.poll()) != null) {
            if (w.claim()) {
                w.finish();
                w.fail(failure);
            }
        }
    }

    /**
     * One waiting call. States: waiting, claimed by the dispatcher, done; only the thread that
     * moves it to done answers the call.
     */
    abstract static class Waiter {
        private static final int WAITING = 0;
        private static final int CLAIMED = 1;
        private static final int DONE = 2;

        private final AtomicInteger state = new AtomicInteger(WAITING);
        private volatile boolean expired;
        volatile ScheduledFuture<?> timeout;

        /**
         * Tries to answer the call from the reader. Called by the dispatcher only, with the waiter
         * claimed.
         *
         * @return true if answered (items sent), false if nothing is available yet
         */
        abstract boolean serve();

        /** Answers the call as timed out (no item). */
        abstract void expire();

        /**
         * Answers the call with a failure.
         *
         * @param e the failure
         */
        abstract void fail(RuntimeException e);

        final boolean claim() {
            return state.compareAndSet(WAITING, CLAIMED);
        }

        final boolean isDone() {
            return state.get() == DONE;
        }

        final void finish() {
            state.set(DONE);
            ScheduledFuture<?> t = timeout;
            if (t != null) {
                t.cancel(false);
            }
        }

        final void release() {
            state.set(WAITING);
            // The timeout fired while the dispatcher held the waiter: answer it now.
            if (expired && state.compareAndSet(WAITING, DONE)) {
                expire();
            }
        }

        final void timeOut() {
            if (state.compareAndSet(WAITING, DONE)) {
                expire();
                return;
            }
            expired = true;
            if (state.compareAndSet(WAITING, DONE)) {
                expire();
            }
        }

        /** The call was cancelled by the client: never answer it. */
        final void cancel() {
            if (state.compareAndSet(WAITING, DONE)) {
                ScheduledFuture<?> t = timeout;
                if (t != null) {
                    t.cancel(false);
                }
            }
        }
    }
}
