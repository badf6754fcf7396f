package dev.conduit.queue.cli;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.rpc.QueueServer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * What a demo backend needs around it: the descriptor of a fresh queue, the JVM options of the
 * demo's child processes, and for backends with a server, the server itself (for {@code rpc}, a
 * {@link QueueServer} started on a free loopback port and stopped by {@link #close()}).
 *
 * <p>Not thread-safe: made and closed by the demo's main thread.
 */
class DemoEnvironment implements AutoCloseable {
    private static final List<String> BASE_CHILD_OPTIONS = List.of("-Xmx256m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=4");

    private final QueueDescriptor descriptor;
    private final List<String> childJvmOptions;
    private final QueueServer server;

    private DemoEnvironment(QueueDescriptor descriptor, List<String> childJvmOptions, QueueServer server) {
        this.descriptor = descriptor;
        this.childJvmOptions = childJvmOptions;
        this.server = server;
    }

    /**
     * Prepares a backend for the demo.
     *
     * @param type the backend type
     * @param capacity the queue's capacity
     * @param out where to say what was started
     * @return the environment; close it at the end
     * @throws IllegalArgumentException for a type the demo does not know
     * @throws dev.conduit.queue.BackendNotFoundException for {@code ray} without a reachable cluster
     *     (the message says what to run)
     */
    static DemoEnvironment start(String type, int capacity, PrintWriter out) {
        String id = "demo-" + ProcessHandle.current().pid();
        switch (type) {
            case "local":
            case "priority":
                return new DemoEnvironment(QueueDescriptor.of(type, id).withNamespace("conduit-demo")
                        .withCapacity(capacity), BASE_CHILD_OPTIONS, null);
            case "shm":
                return new DemoEnvironment(QueueDescriptor.shm(id).withNamespace("conduit-demo")
                        .withCapacity(capacity).withOption("itemSize", "64"), BASE_CHILD_OPTIONS, null);
            case "rpc": {
                QueueServer server = QueueServer.builder().host("127.0.0.1").port(0).start();
                return new DemoEnvironment(QueueDescriptor.rpc("127.0.0.1", server.port(), id)
                        .withNamespace("conduit-demo").withCapacity(capacity), BASE_CHILD_OPTIONS, server);
            }
            case "ray": {
                RayCluster cluster = RayCluster.requireReachable();
                List<String> options = new ArrayList<>(BASE_CHILD_OPTIONS);
                options.addAll(cluster.driverJvmOptions());
                return new DemoEnvironment(QueueDescriptor.ray(id).withNamespace("conduit-demo")
                        .withCapacity(capacity), List.copyOf(options), null);
            }
            default:
                throw new IllegalArgumentException("--backend must be local, priority, shm, rpc or ray, not '"
                        + type + "'");
        }
    }

    /** @return the demo queue */
    QueueDescriptor descriptor() {
        return descriptor;
    }

    /** @return the JVM options a child process needs for this backend */
    List<String> childJvmOptions() {
        return childJvmOptions;
    }

    /** Stops the embedded server, if there is one (gracefully: running calls finish first). */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
