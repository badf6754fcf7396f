package dev.conduit.queue.rpc;

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
        return new ServerProcess(p, Integer.parseInt(Files.readString(portFile).trim()));
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
