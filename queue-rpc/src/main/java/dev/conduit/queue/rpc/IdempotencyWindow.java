package dev.conduit.queue.rpc;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The server's memory of recent put keys, so that a put retried after a lost connection is applied
 * once. Bounded: the most recent {@code keysPerClient} keys of each of the {@code maxClients}
 * most recently active clients. A key whose put failed (nothing added) is forgotten, so a retry
 * runs again.
 *
 * <p>Thread-safe (one lock; the critical sections are a few map operations).
 */
final class IdempotencyWindow {
    private final int keysPerClient;
    private final Map<String, Map<Long, CompletableFuture<Boolean>>> clients;

    /**
     * @param maxClients how many clients to remember
     * @param keysPerClient how many recent keys per client
     */
    IdempotencyWindow(int maxClients, int keysPerClient) {
        this.keysPerClient = keysPerClient;
        this.clients = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<Long, CompletableFuture<Boolean>>> eldest) {
                return size() > maxClients;
            }
        };
    }

    /**
     * Claims a key.
     *
     * @param clientId the client
     * @param sequence the put's sequence number
     * @param fresh completed by the caller with the put's outcome if the key is new
     * @return null if the key is new (the caller applies the put and completes {@code fresh}), or
     *     the outcome of the put that first used the key (possibly still running)
     */
    synchronized CompletableFuture<Boolean> claim(String clientId, long sequence, CompletableFuture<Boolean> fresh) {
        Map<Long, CompletableFuture<Boolean>> keys = clients.computeIfAbsent(clientId,
                id -> new LinkedHashMap<>(64, 0.75f, false) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<Long, CompletableFuture<Boolean>> eldest) {
                        return size() > keysPerClient;
                    }
                });
        CompletableFuture<Boolean> seen = keys.putIfAbsent(sequence, fresh);
        return seen;
    }

    /**
     * Forgets a key whose put added nothing, so that a retry is applied.
     *
     * @param clientId the client
     * @param sequence the key
     * @param outcome the future registered by {@link #claim}; another is left alone
     */
    synchronized void forget(String clientId, long sequence, CompletableFuture<Boolean> outcome) {
        Map<Long, CompletableFuture<Boolean>> keys = clients.get(clientId);
        if (keys != null) {
            keys.remove(sequence, outcome);
        }
    }
}
