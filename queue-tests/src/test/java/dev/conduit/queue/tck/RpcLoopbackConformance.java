package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.rpc.QueueServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance suite against the {@code rpc} backend: a real {@link QueueServer} on a free
 * loopback port, started once per test class. Subclasses choose the server-side queue type.
 */
abstract class RpcLoopbackConformance extends QueueConformanceTest {
    private static QueueServer server;

    @BeforeAll
    static void startServer() {
        server = QueueServer.builder().port(0).start();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** @return a descriptor of a queue on the running server, before the subclass's options */
    protected static QueueDescriptor rpcDescriptor(String id, int capacity) {
        return QueueDescriptor.rpc("127.0.0.1", server.port(), id).withCapacity(capacity);
    }

    @Override
    protected Stress stress() {
        // Every item is a network round trip: fewer items than the in-JVM backends.
        Stress s = super.stress();
        return s.withItemsPerProducer(Math.min(s.itemsPerProducer(), 2_000));
    }

    @Override
    protected Duration timingSlack() {
        // Two busy cores shared with other builds: a remote call may be scheduled late.
        return Duration.ofMillis(1000);
    }
}
