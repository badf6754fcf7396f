package dev.conduit.queue.rpc;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The server's memory of recent put keys, so that a put retried after a lost connection is applied
 * once, and a put whose caller gave up can be settled truthfully. Bounded: the most recent
 * {@code keysPerClient} keys of each of the {@code maxClients} most recently active clients, plus
 * the keys of puts still running (waiting for room), which are never forgotten before they end: a
 * settle or a retry must find them. A key whose put failed (nothing added) is forgotten, so a retry
 * runs again, unless the key was {@linkplain #settle settled}: a settled key that was not applied
 * stays refused.
 *
 * <p>Thread-safe (one lock; the critical sections are a few map operations).
 */
final class IdempotencyWindow {
    private final int maxClients;
    private final int keysPerClient;
    private final Map<String, Map<Long, Outcome>> clients;

    /**
     * The outcome of one put: true if applied, false if it timed out (nothing added), exceptional
     * if it failed (nothing added). Completed exactly once, by whoever applies or ends the put.
     */
    static final class Outcome extends CompletableFuture<Boolean> {
        private Runnable cancelWait = () -> { };
        private boolean settled;

        /**
         * Sets what ends this put's wait for room; it must complete the outcome (not applied) unless
         * the put was applied already.
         *
         * @param cancelWait ends the wait
         */
        synchronized void onCancel(Runnable cancelWait) {
            this.cancelWait = cancelWait;
        }

        /** Ends the put's wait for room, if it is waiting. */
        void cancelWait() {
            Runnable r;
            synchronized (this) {
                r = cancelWait;
            }
            r.run();
        }

        /** An outcome for a key settled before its put arrived: not applied, and never will be. */
        static Outcome refused() {
            Outcome o = new Outcome();
            o.settled = true;
            o.complete(false);
            return o;
        }
    }

    /**
     * @param maxClients how many clients to remember
     * @param keysPerClient how many recent keys per client
     */
    IdempotencyWindow(int maxClients, int keysPerClient) {
        this.maxClients = maxClients;
        this.keysPerClient = keysPerClient;
        this.clients = new LinkedHashMap<>(64, 0.75f, true);
    }

    /** A client's keys, oldest first; forgets the least recently active clients past the bound. */
    private Map<Long, Outcome> keys(String clientId) {
        Map<Long, Outcome> keys = clients.get(clientId);
        if (keys == null) {
            keys = new LinkedHashMap<>(64, 0.75f, false);
            clients.put(clientId, keys);
            if (clients.size() > maxClients) {
                for (Iterator<Map<Long, Outcome>> it = clients.values().iterator();
                        it.hasNext() && clients.size() > maxClients; ) {
                    Map<Long, Outcome> eldest = it.next();
                    if (eldest != keys && allDone(eldest)) {
                        it.remove();
                    }
                }
            }
        }
        return keys;
    }

    private static boolean allDone(Map<Long, Outcome> keys) {
        for (Outcome o : keys.values()) {
            if (!o.isDone()) {
                return false;
            }
        }
        return true;
    }

    /** Forgets a client's oldest keys past the bound, except those whose put is still running. */
    private void trim(Map<Long, Outcome> keys) {
        for (Iterator<Outcome> it = keys.values().iterator(); it.hasNext() && keys.size() > keysPerClient; ) {
            if (it.next().isDone()) {
                it.remove();
            }
        }
    }

    /**
     * Claims a key.
     *
     * @param clientId the client
     * @param sequence the put's sequence number
     * @param fresh completed by the caller with the put's outcome if the key is new
     * @return null if the key is new (the caller applies the put and completes {@code fresh}), or
     *     the outcome of the put that first used the key (possibly still running, or refused
     *     because the key was settled first)
     */
    synchronized Outcome claim(String clientId, long sequence, Outcome fresh) {
        Map<Long, Outcome> keys = keys(clientId);
        Outcome earlier = keys.putIfAbsent(sequence, fresh);
        if (earlier == null) {
            trim(keys);
        }
        return earlier;
    }

    /**
     * Forgets a key whose put added nothing, so that a retry is applied; a settled key is kept.
     *
     * @param clientId the client
     * @param sequence the key
     * @param outcome the outcome registered by {@link #claim}; another is left alone
     */
    synchronized void forget(String clientId, long sequence, Outcome outcome) {
        Map<Long, Outcome> keys = clients.get(clientId);
        if (keys != null && !outcome.settled) {
            keys.remove(sequence, outcome);
        }
    }

    /**
     * Settles a key whose caller gave up: from now on no put with this key is applied (a put
     * already running finishes, and the returned outcome says whether it was applied). The caller
     * should {@linkplain Outcome#cancelWait() end its wait}.
     *
     * @param clientId the client
     * @param sequence the key
     * @return the key's outcome: its put's, or a refusal if no put with this key arrived yet (or
     *     its failure was forgotten)
     */
    synchronized Outcome settle(String clientId, long sequence) {
        Map<Long, Outcome> keys = keys(clientId);
        Outcome o = keys.get(sequence);
        if (o == null) {
            o = Outcome.refused();
            keys.put(sequence, o);
            trim(keys);
            return o;
        }
        o.settled = true;
        return o;
    }
}
