package dev.conduit.queue.cli;

import dev.conduit.queue.QueueDescriptor;
import java.io.PrintWriter;
import java.util.List;

/**
 * What a demo backend needs around it: the descriptor of a fresh queue, and for backends with a
 * server, the server itself (started on loopback and stopped at the end).
 */
class DemoEnvironment implements AutoCloseable {
    private final QueueDescriptor descriptor;

    DemoEnvironment(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    static DemoEnvironment start(String type, int capacity, PrintWriter out) {
        String id = "demo-" + ProcessHandle.current().pid();
        switch (type) {
            case "local":
            case "priority":
                return new DemoEnvironment(QueueDescriptor.of(type, id).withNamespace("conduit-demo")
                        .withCapacity(capacity));
            case "shm":
                return new DemoEnvironment(QueueDescriptor.shm(id).withNamespace("conduit-demo")
                        .withCapacity(capacity).withOption("itemSize", "64"));
            default:
                throw new IllegalArgumentException("the demo does not run on backend '" + type
                        + "' yet (try local, priority or shm)");
        }
    }

    QueueDescriptor descriptor() {
        return descriptor;
    }

    /** JVM options a child process needs for this backend. */
    static List<String> childJvmOptions() {
        return List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4");
    }

    @Override
    public void close() {
    }
}
