package dev.conduit.queue.rpc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The server's memory of recent put keys, so that a put retried after a lost connection is applied
 * once, and a put whose caller gave up can be settled truthfully. Bounded: the most recent
 * {@code keysPerClient} keys of each of the {@code maxClients} most recently active clients. A key
 * whose put failed (nothing added) is forgotten, so a retry runs again, unless the key was
 * {@linkplain #settle settled}: a settled key that was not applied stays refused.
 *
 * <p>Thread-safe (one lock; the critical sections are a few map operations).
 */
final class IdempotencyWindow {
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
        this.keysPerClient = keysPerClient;
        this.clients = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<Long, Outcome>> eldest) {
                return size() > maxClients;
            }
        };
    }

    private Map<Long, Outcome> keys(String clientId) {
        return clients.computeIfAbsent(clientId, id -> new LinkedHashMap<>(64, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Outcome> eldest) {
                return size() > keysPerClient;
            }
        });
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
        return keys(clientId).putIfAbsent(sequence, fresh);
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
            return o;
        }
        o.settled = true;
        return o;
    }
}
