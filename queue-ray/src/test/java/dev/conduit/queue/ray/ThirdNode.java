package dev.conduit.queue.ray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A third Ray node started for one test and killed by it: a real raylet ({@code ray start --block})
 * with the custom resource {@value #RESOURCE}, so a queue actor can be placed on it, and killed with
 * SIGKILL, raylet, object store and worker JVMs at once, as a crashed machine would be. Not
 * thread-safe; one per test at a time (it uses fixed ports).
 */
final class ThirdNode implements AutoCloseable {
    /** The resource only this node has. */
    static final String RESOURCE = "conduit_node_c";

    private final Process process;

    private ThirdNode(Process process) {
        this.process = process;
    }

    /**
     * Starts the node and waits until Ray reports it alive.
     *
     * @param seconds the longest wait
     * @return the node
     * @throws IOException if {@code ray start} cannot be run
     * @throws AssertionError if the node is not alive in time (it is killed then)
     */
    static ThirdNode start(int seconds) throws IOException, InterruptedException {
        String bin = System.getProperty("conduit.ray.bin", "");
        String ray = bin.isEmpty() ? "ray" : Path.of(bin, "ray").toString();
        ProcessBuilder pb = new ProcessBuilder(ray, "start", "--block",
                "--address=" + System.getProperty(RayTestCluster.ADDRESS_PROPERTY), "--node-ip-address=127.0.0.1",
                "--num-cpus=1", "--num-gpus=0", "--object-store-memory=100000000",
                "--resources={\"" + RESOURCE + "\": 10}",
                "--node-manager-port=6411", "--object-manager-port=6412", "--runtime-env-agent-port=6413",
                "--dashboard-agent-grpc-port=6414", "--dashboard-agent-listen-port=6415",
                "--metrics-export-port=6416", "--min-worker-port=22000", "--max-worker-port=22999");
        Path log = Files.createTempFile("conduit-ray-third-node", ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        // The node's worker JVMs must not pick up this driver's flags (the -Pray profile sets them for child drivers).
        pb.environment().remove("JDK_JAVA_OPTIONS");
        if (!bin.isEmpty()) {
            pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        }
        ThirdNode node = new ThirdNode(pb.start());
        try {
            awaitAlive(true, seconds);
        } catch (AssertionError e) {
            node.close();
            throw new AssertionError(e.getMessage() + "; ray start said: " + tail(log), e);
        } catch (InterruptedException e) {
            node.close();
            throw e;
        } finally {
            Files.deleteIfExists(log);
        }
        return node;
    }

    /**
     * Waits until Ray reports a node with {@value #RESOURCE} alive, or no such node alive.
     *
     * @param alive which of the two to wait for
     * @param seconds the longest wait
     * @throws AssertionError if it does not happen in time
     */
    static void awaitAlive(boolean alive, int seconds) throws InterruptedException {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() - giveUp < 0) {
            boolean present = RayTestCluster.aliveNodes().stream().anyMatch(n -> n.resources.containsKey(RESOURCE));
            if (present == alive) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("node with " + RESOURCE + " not " + (alive ? "alive" : "dead") + " after " + seconds + " s");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** SIGKILL to the node's whole process tree, children first seen, so none is left orphaned. Idempotent. */
    @Override
    public void close() {
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        for (ProcessHandle p : tree) {
            p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }
}
