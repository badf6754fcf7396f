package dev.conduit.queue.rpc;

import dev.conduit.queue.QueueDescriptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The fixture of the tests that run against a real {@link QueueServer}: a server on a free loopback
 * port, a plaintext channel to it for wire-level calls, and descriptors of queues no other test
 * uses. Start it in {@code @BeforeAll}, close it in {@code @AfterAll}.
 */
final class LoopbackServer implements AutoCloseable {
    /** The running server. */
    final QueueServer server;
    /** A channel of the test's own to the server, for calls the client backend does not make. */
    final ManagedChannel raw;
    private final AtomicInteger ids = new AtomicInteger();

    private LoopbackServer(QueueServer server) {
        this.server = server;
        this.raw = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    /** @return a server with the default settings */
    static LoopbackServer start() {
        return start(UnaryOperator.identity());
    }

    /**
     * @param settings what to change on the server's builder (port 0 is set already)
     * @return a running server
     */
    static LoopbackServer start(UnaryOperator<QueueServer.Builder> settings) {
        return new LoopbackServer(settings.apply(QueueServer.builder().port(0)).start());
    }

    /**
     * @param name what the queue is for; a counter makes it unique
     * @return a descriptor of a queue on this server that no other test uses
     */
    QueueDescriptor fresh(String name) {
        return QueueDescriptor.rpc("127.0.0.1", server.port(), name + "-" + ids.incrementAndGet());
    }

    /** Closes the channel, then the server. */
    @Override
    public void close() throws InterruptedException {
        try {
            raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } finally {
            server.close();
        }
    }
}
