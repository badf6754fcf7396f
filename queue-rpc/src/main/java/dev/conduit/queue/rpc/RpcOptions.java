package dev.conduit.queue.rpc;

import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;
import java.util.Set;

/**
 * The client-side options of an {@code rpc} descriptor, read once per handle. Every other option
 * travels to the server, which creates the queue from it.
 *
 * <ul>
 *   <li>{@code host}, {@code port}: the server ({@link QueueDescriptor#rpc} sets them);</li>
 *   <li>{@code tls=true}: connect with TLS; {@code trustCertPath}: PEM file of the authority that
 *       signed the server's certificate (default: the JDK's trust store);
 *       {@code clientCertPath}, {@code clientKeyPath}: PEM certificate chain and PKCS#8 key for
 *       mutual TLS;</li>
 *   <li>{@code token}: the bearer token of the queue's namespace, or {@code tokenEnv}: the name of
 *       an environment variable that holds it (keeps the secret out of serialized descriptors);</li>
 *   <li>{@code serverType}: {@code local} (default) or {@code priority}, what holds the items on the
 *       server ({@code durable=true} asks for the server's journal instead);</li>
 *   <li>{@code callTimeoutMillis}: how long a call may take beyond its own wait (default 10000);
 *       {@code reconnectMillis}: how long calls retry while the server is unreachable before
 *       {@link ServerUnavailableException} (default 10000);</li>
 *   <li>{@code prefetch}: how many items a get of this handle asks the server for at least, handing
 *       out the rest from the handle on later gets (default 0: none; at most
 *       {@value #MAX_PREFETCH}); see {@link RpcStore} and docs/rpc.md, "Prefetch".</li>
 * </ul>
 *
 * @param host the server host
 * @param port the server port
 * @param tls whether to use TLS
 * @param trustCertPath PEM roots to trust, or null for the JDK's
 * @param clientCertPath PEM client certificate chain for mutual TLS, or null
 * @param clientKeyPath PEM PKCS#8 client key for mutual TLS, or null
 * @param token the bearer token, or null
 * @param callTimeout the slack each call's deadline has beyond its wait
 * @param reconnect how long to retry an unreachable server
 * @param prefetch the fewest items a get asks the server for; 0 for no prefetching
 */
record RpcOptions(String host, int port, boolean tls, String trustCertPath, String clientCertPath,
        String clientKeyPath, String token, Duration callTimeout, Duration reconnect, int prefetch) {

    /** The largest {@code prefetch}: the most items the server hands out in one get. */
    static final int MAX_PREFETCH = QueueService.MAX_ITEMS_PER_GET;

    /** Options only the client reads; they are stripped from the descriptor the server gets. */
    static final Set<String> CLIENT_ONLY = Set.of("host", "port", "tls", "trustCertPath", "clientCertPath",
            "clientKeyPath", "token", "tokenEnv", "serverType", "callTimeoutMillis", "reconnectMillis", "prefetch");

    /**
     * Reads the options of an rpc descriptor.
     *
     * @param d the descriptor
     * @return the options
     * @throws IllegalArgumentException naming the option when one is missing or malformed
     */
    static RpcOptions of(QueueDescriptor d) {
        String host = d.option("host", null);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("option 'host' is missing: make rpc descriptors with "
                    + "QueueDescriptor.rpc(host, port, id)");
        }
        long port = d.longOption("port", -1);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("option 'port' must be 1-65535, not " + d.option("port", "missing"));
        }
        String token = d.option("token", null);
        String tokenEnv = d.option("tokenEnv", null);
        if (token == null && tokenEnv != null) {
            token = System.getenv(tokenEnv);
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("option 'tokenEnv' names environment variable " + tokenEnv
                        + ", which is not set");
            }
        }
        boolean mutual = d.option("clientCertPath", null) != null || d.option("clientKeyPath", null) != null;
        if (mutual && (d.option("clientCertPath", null) == null || d.option("clientKeyPath", null) == null)) {
            throw new IllegalArgumentException("options 'clientCertPath' and 'clientKeyPath' go together");
        }
        long callTimeout = d.longOption("callTimeoutMillis", 10_000);
        long reconnect = d.longOption("reconnectMillis", 10_000);
        if (callTimeout < 1) {
            throw new IllegalArgumentException("option 'callTimeoutMillis' must be at least 1, not " + callTimeout);
        }
        if (reconnect < 0) {
            throw new IllegalArgumentException("option 'reconnectMillis' must not be negative, not " + reconnect);
        }
        long prefetch = d.longOption("prefetch", 0);
        if (prefetch < 0 || prefetch > MAX_PREFETCH) {
            throw new IllegalArgumentException("option 'prefetch' must be 0.." + MAX_PREFETCH + ", not " + prefetch);
        }
        return new RpcOptions(host, (int) port, d.booleanOption("tls", false), d.option("trustCertPath", null),
                d.option("clientCertPath", null), d.option("clientKeyPath", null), token,
                Duration.ofMillis(callTimeout), Duration.ofMillis(reconnect), (int) prefetch);
    }

    /**
     * The descriptor the server gets: type rewritten to the server-side type, client-only options
     * (address, TLS files, token) removed.
     *
     * @param d the rpc descriptor
     * @return the server-side descriptor
     * @throws IllegalArgumentException if {@code serverType} is not local or priority
     */
    static QueueDescriptor serverDescriptor(QueueDescriptor d) {
        String type = d.option("serverType", "local");
        if (!type.equals("local") && !type.equals("priority")) {
            throw new IllegalArgumentException("option 'serverType' must be local or priority, not '" + type + "'");
        }
        if (d.booleanOption("durable", false)) {
            type = HostedQueues.DURABLE_TYPE;
        }
        QueueDescriptor s = QueueDescriptor.of(type, d.id()).withNamespace(d.namespace()).withCapacity(d.capacity());
        for (var e : d.options().entrySet()) {
            if (!CLIENT_ONLY.contains(e.getKey())) {
                s = s.withOption(e.getKey(), e.getValue());
            }
        }
        return s;
    }

    /** @return the key channels are shared by: everything that shapes the connection */
    String channelKey() {
        return host + ":" + port + "|tls=" + tls + "|" + trustCertPath + "|" + clientCertPath + "|" + clientKeyPath;
    }
}
