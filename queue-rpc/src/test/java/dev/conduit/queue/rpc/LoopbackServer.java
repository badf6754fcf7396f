package dev.conduit.queue.rpc;

import dev.conduit.queue.QueueDescriptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The fixture of the tests that run against a real {@link QueueServer}, as a JUnit extension: a
 * server on a free loopback port for the test class, a plaintext channel to it for wire-level
 * calls, and descriptors of queues no other test uses. Register it in a static field:
 * {@code @RegisterExtension static final LoopbackServer LOOPBACK = LoopbackServer.withDefaults();}.
 */
final class LoopbackServer implements BeforeAllCallback, AfterAllCallback {
    private final UnaryOperator<QueueServer.Builder> settings;
    private final AtomicInteger ids = new AtomicInteger();
    private QueueServer server;
    private ManagedChannel raw;

    private LoopbackServer(UnaryOperator<QueueServer.Builder> settings) {
        this.settings = settings;
    }

    /** @return a fixture whose server has the default settings */
    static LoopbackServer withDefaults() {
        return with(UnaryOperator.identity());
    }

    /**
     * @param settings what to change on the server's builder (port 0 is set already)
     * @return a fixture whose server has them
     */
    static LoopbackServer with(UnaryOperator<QueueServer.Builder> settings) {
        return new LoopbackServer(settings);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        server = settings.apply(QueueServer.builder().port(0)).start();
        raw = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    /** Closes the channel, then the server. */
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        try {
            if (raw != null) {
                raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    /** @return the running server */
    QueueServer server() {
        return server;
    }

    /** @return a channel of the test's own to the server, for calls the client backend does not make */
    ManagedChannel raw() {
        return raw;
    }

    /**
     * @param name what the queue is for; a counter makes it unique
     * @return a descriptor of a queue on this server that no other test uses
     */
    QueueDescriptor fresh(String name) {
        return QueueDescriptor.rpc("127.0.0.1", server.port(), name + "-" + ids.incrementAndGet());
    }
}
