package dev.conduit.queue.rpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server hosting any number of named queues for remote clients (descriptor type
 * {@code rpc}). Queues are created on first use from the descriptor a client sends; they hold
 * opaque bytes, so the server never deserializes a user class.
 *
 * <pre>{@code
 * try (QueueServer server = QueueServer.builder().port(7070).token("jobs", "s3cret").start()) {
 *     server.awaitTermination();
 * }
 * }</pre>
 *
 * <p>The server also answers the standard gRPC health service ({@code grpc.health.v1.Health}),
 * without a token. {@link #close()} stops taking calls, ends waiting reads with UNAVAILABLE (their
 * clients retry against a successor), lets running calls finish within the grace period, then
 * stops; in-memory queues go with the server, durable ones stay in their journal.
 *
 * <p>Thread-safe.
 */
public final class QueueServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueServer.class);
    /** The service name the health service reports. */
    public static final String SERVICE_NAME = "conduit.queue.v1.QueueService";

    private final Server server;
    private final HostedQueues queues;
    private final QueueService service;
    private final HealthStatusManager health;
    private final ExecutorService callExecutor;
    private final ThreadPoolExecutor waitingPuts;
    private final ScheduledExecutorService timer;
    private final Duration grace;
    private final String epoch;
    private final AtomicInteger state = new AtomicInteger();

    private QueueServer(Builder b) throws IOException {
        this.epoch = UUID.randomUUID().toString();
        this.grace = b.grace;
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("conduit-rpc-timer"));
        ((ScheduledThreadPoolExecutor) timer).setRemoveOnCancelPolicy(true);
        this.callExecutor = Executors.newFixedThreadPool(b.threads, daemon("conduit-rpc-call"));
        this.waitingPuts = new ThreadPoolExecutor(0, b.maxWaitingPuts, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                daemon("conduit-rpc-waiting-put"));
        this.queues = new HostedQueues(b.maxQueues, b.maxItemBytes, timer);
        IdempotencyWindow window = new IdempotencyWindow(b.idempotencyClients, b.idempotencyKeysPerClient);
        this.service = new QueueService(epoch, queues, window, waitingPuts, callExecutor, b.maxItemBytes);
        TokenCheck tokens = new TokenCheck(b.tokens);
        this.health = new HealthStatusManager();

        ServerCredentials credentials = InsecureServerCredentials.create();
        if (b.certChain != null) {
            TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder().keyManager(b.certChain, b.privateKey);
            if (b.clientCa != null) {
                tls.trustManager(b.clientCa).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
            credentials = tls.build();
        }
        try {
            this.server = NettyServerBuilder.forAddress(new InetSocketAddress(b.host, b.port), credentials)
                .executor(callExecutor)
                .callExecutor(new io.grpc.ServerCallExecutorSupplier() {
                    @Override
                    public <Q, R> java.util.concurrent.Executor getExecutor(io.grpc.ServerCall<Q, R> call,
                            io.grpc.Metadata headers) {
                        return QueueService.NON_BLOCKING_METHODS.contains(call.getMethodDescriptor()
                                .getFullMethodName()) ? com.google.common.util.concurrent.MoreExecutors
                                .directExecutor() : null;
                    }
                })
                .maxInboundMessageSize(b.maxMessageBytes)
                .maxInboundMetadataSize(16 * 1024)
                .permitKeepAliveTime(10, TimeUnit.SECONDS)
                .addService(MalformedRequests.guard(ServerInterceptors.intercept(service, tokens)))
                .addService(health.getHealthService())
                .build()
                .start();
        } catch (IOException | RuntimeException e) {
            timer.shutdownNow();
            waitingPuts.shutdownNow();
            callExecutor.shutdownNow();
            throw e;
        }
        health.setStatus(SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus("", ServingStatus.SERVING);
        timer.scheduleWithFixedDelay(this::sweep, b.sweepMillis, b.sweepMillis, TimeUnit.MILLISECONDS);
        LOG.atInfo().setMessage("queue server started").addKeyValue("host", b.host).addKeyValue("port", port())
                .addKeyValue("tls", b.certChain != null).addKeyValue("mutualTls", b.clientCa != null)
                .addKeyValue("tokens", tokens.enabled()).addKeyValue("epoch", epoch).log();
    }

    private void sweep() {
        try {
            queues.sweep();
            service.sweepEarlyCancels();
        } catch (RuntimeException e) {
            LOG.warn("sweep failed: {}", e.toString());
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** @return a builder with defaults: loopback, port 7070, no TLS, no tokens */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the port the server listens on (the one chosen, when built with port 0) */
    public int port() {
        return server.getPort();
    }

    /** @return this run's identity; a restarted server has another */
    public String epoch() {
        return epoch;
    }

    /** @return the hosted queue, or null (for tests) */
    HostedQueue hosted(String namespace, String id) {
        return queues.get(namespace, id);
    }

    /** @return how many queues the server hosts now */
    public int queueCount() {
        return queues.count();
    }

    /**
     * Blocks until the server has stopped.
     *
     * @throws InterruptedException if interrupted
     */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Stops gracefully: refuses new calls, ends waiting reads with UNAVAILABLE, lets running calls
     * finish within the grace period, then stops the transport and releases the queues. Idempotent.
     */
    @Override
    public void close() {
        if (!state.compareAndSet(0, 1)) {
            return;
        }
        LOG.atInfo().setMessage("queue server stopping").addKeyValue("port", port()).addKeyValue("queues",
                queues.count()).log();
        health.enterTerminalState();
        service.stopping();
        server.shutdown();
        queues.releaseAll(ErrorKind.SHUTTING_DOWN.toStatus("the queue server is shutting down"));
        try {
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
        waitingPuts.shutdownNow();
        callExecutor.shutdownNow();
        LOG.atInfo().setMessage("queue server stopped").addKeyValue("epoch", epoch).log();
    }

    /**
     * Configures and starts a {@link QueueServer}. Not thread-safe; use from one thread.
     */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 7070;
        private File certChain;
        private File privateKey;
        private File clientCa;
        private final Map<String, String> tokens = new LinkedHashMap<>();
        private int maxQueues = 10_000;
        private int maxItemBytes = 4 << 20;
        private int maxMessageBytes = 64 << 20;
        private int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private int maxWaitingPuts = 1024;
        private int idempotencyClients = 65_536;
        private int idempotencyKeysPerClient = 1024;
        private long sweepMillis = 20;
        private Duration grace = Duration.ofSeconds(5);

        private Builder() {
        }

        /**
         * @param host the address to listen on; {@code 0.0.0.0} for every interface (default
         *     {@code 127.0.0.1})
         * @return this
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /**
         * @param port the port; 0 picks a free one ({@link QueueServer#port()} tells which)
         * @return this
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0-65535, not " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * Serves TLS only.
         *
         * @param certChain PEM certificate chain of the server
         * @param privateKey PEM PKCS#8 private key
         * @return this
         */
        public Builder tls(File certChain, File privateKey) {
            this.certChain = Objects.requireNonNull(certChain, "certChain");
            this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
            return this;
        }

        /**
         * Requires every client to present a certificate signed by one of these (mutual TLS);
         * needs {@link #tls}.
         *
         * @param clientCa PEM certificates of the trusted client authorities
         * @return this
         */
        public Builder mutualTls(File clientCa) {
            this.clientCa = Objects.requireNonNull(clientCa, "clientCa");
            return this;
        }

        /**
         * Requires a bearer token for a namespace. Once any token is set, every namespace needs
         * one: its own, or the one set for {@code "*"}.
         *
         * @param namespace the namespace, or {@code "*"} for every namespace without its own
         * @param token the token
         * @return this
         */
        public Builder token(String namespace, String token) {
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("token for namespace '" + namespace + "' is empty");
            }
            tokens.put(Objects.requireNonNull(namespace, "namespace"), token);
            return this;
        }

        /**
         * @param maxQueues the most queues the server hosts at once (default 10,000)
         * @return this
         */
        public Builder maxQueues(int maxQueues) {
            this.maxQueues = positive("maxQueues", maxQueues);
            return this;
        }

        /**
         * @param maxItemBytes the largest item a put may carry (default 4 MiB)
         * @return this
         */
        public Builder maxItemBytes(int maxItemBytes) {
            this.maxItemBytes = positive("maxItemBytes", maxItemBytes);
            return this;
        }

        /**
         * @param maxMessageBytes the largest request the transport accepts (default 64 MiB); a
         *     bigger one is refused with RESOURCE_EXHAUSTED before it reaches a queue
         * @return this
         */
        public Builder maxMessageBytes(int maxMessageBytes) {
            this.maxMessageBytes = positive("maxMessageBytes", maxMessageBytes);
            return this;
        }

        /**
         * @param threads threads running calls (default twice the cores, at least 4)
         * @return this
         */
        public Builder threads(int threads) {
            this.threads = positive("threads", threads);
            return this;
        }

        /**
         * @param maxWaitingPuts the most puts waiting for room at once (each holds a thread;
         *     default 1024); more are refused with a QueueException
         * @return this
         */
        public Builder maxWaitingPuts(int maxWaitingPuts) {
            this.maxWaitingPuts = positive("maxWaitingPuts", maxWaitingPuts);
            return this;
        }

        /**
         * @param clients how many clients' recent put keys to remember (default 65,536)
         * @param keysPerClient how many recent keys per client (default 1024)
         * @return this
         */
        public Builder idempotencyWindow(int clients, int keysPerClient) {
            this.idempotencyClients = positive("clients", clients);
            this.idempotencyKeysPerClient = positive("keysPerClient", keysPerClient);
            return this;
        }

        /**
         * @param grace how long {@link QueueServer#close()} lets running calls finish (default 5 s)
         * @return this
         */
        public Builder shutdownGrace(Duration grace) {
            this.grace = Objects.requireNonNull(grace, "grace");
            return this;
        }

        private static int positive(String name, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, not " + v);
            }
            return v;
        }

        /**
         * Starts the server.
         *
         * @return the running server
         * @throws UncheckedIOException if the port cannot be bound or the TLS files cannot be read
         * @throws IllegalStateException if mutual TLS is asked for without TLS
         */
        public QueueServer start() {
            if (clientCa != null && certChain == null) {
                throw new IllegalStateException("mutualTls needs tls(certChain, privateKey) too");
            }
            try {
                return new QueueServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("queue server could not start on " + host + ":" + port + ": "
                        + e.getMessage(), e);
            }
        }
    }
}
