package dev.conduit.queue.rpc;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A QueueServerMain in its own JVM, killable with SIGKILL to test crashes. */
final class ServerProcess implements AutoCloseable {
    final Process process;
    final int port;

    private ServerProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts a server and waits until it listens.
     *
     * @param dir where its log and port file go
     * @param port the port, or 0 for a free one
     * @param jvmArgs extra JVM flags (the journal's, for durable queues)
     */
    static ServerProcess start(Path dir, int port, List<String> jvmArgs, String... serverArgs) throws Exception {
        Path portFile = dir.resolve("port-" + System.nanoTime());
        List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port), "--port-file",
                portFile.toString()));
        args.addAll(List.of(serverArgs));
        Process p = ChildJvm.start(dir.resolve("server-" + System.nanoTime() + ".log"), jvmArgs,
                QueueServerMain.class, args.toArray(new String[0]));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(portFile)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("the server process did not start (exit " + (p.isAlive() ? "none" : p.exitValue())
                        + ")");
            }
            Thread.sleep(50);
        }
        ServerProcess server = new ServerProcess(p, Integer.parseInt(Files.readString(portFile).trim()));
        try {
            server.awaitFirstAnswer();
        } catch (Exception | Error e) {
            server.kill();
            throw e;
        }
        return server;
    }

    /**
     * Waits until the server has answered a real queue call. A cold JVM (JDK 25 especially, on a
     * loaded machine) can take longer than a test's short call timeout to answer its first call, and
     * a handle whose first open timed out never knew this server, which a restart test must not
     * mistake for anything else.
     */
    private void awaitFirstAnswer() {
        QueueDescriptor probe = QueueDescriptor.rpc("127.0.0.1", port, "server-process-ready-" + System.nanoTime())
                .withOption("callTimeoutMillis", "60000").withOption("reconnectMillis", "60000");
        MessageQueue<String> q = probe.open(Codecs.string());
        try {
            q.size();
        } finally {
            q.destroy();
        }
    }

    /** Kills the server at once, as a crash would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
