package dev.conduit.queue.ray;

import io.ray.api.Ray;
import io.ray.api.runtimecontext.NodeInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The running Ray cluster the cluster-mode tests use, named by system property
 * {@value #ADDRESS_PROPERTY} ({@code scripts/ray-cluster.sh test} sets it, with the class path and
 * JVM flags). Tests that need it carry {@code @EnabledIfSystemProperty} on that property, so a
 * build without a cluster reports them as skipped with the reason, and {@code @ExtendWith(RayDriver.class)},
 * so that every test class of the run shares one Ray driver.
 */
public final class RayTestCluster {
    /** The system property naming the cluster's GCS address. */
    public static final String ADDRESS_PROPERTY = "conduit.ray.address";
    /** Why cluster tests are skipped without it. */
    public static final String SKIP_REASON = "needs a Ray cluster: run scripts/ray-cluster.sh test";
    /** The resource only the head node has. */
    static final String NODE_A = "conduit_node_a";
    /** The resource only the second node has. */
    static final String NODE_B = "conduit_node_b";

    private RayTestCluster() {
    }

    private static final Path NATIVE_COPIES = Path.of(System.getProperty("java.io.tmpdir"), "ray");
    private static Set<Path> copiesBefore = Set.of();

    /** Starts this JVM's Ray driver if it is not running yet. */
    static synchronized void connect() {
        if (!Ray.isInitialized()) {
            copiesBefore = nativeCopies();
        }
        RayQueues.ensureRuntime();
    }

    /** A Ray namespace of its own for one test class, so runs never meet old queues. */
    public static String freshNamespace(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** @return the nodes Ray reports alive */
    static List<NodeInfo> aliveNodes() {
        return Ray.getRuntimeContext().getAllNodeInfo().stream().filter(n -> n.isAlive).toList();
    }

    /**
     * Ends this JVM's Ray driver and removes the copy of Ray's native library (about 32 MB) that
     * its {@code Ray.init} unpacked under {@code <tmp>/ray/<timestamp>/}.
     */
    static synchronized void disconnect() {
        if (!Ray.isInitialized()) {
            return;
        }
        Ray.shutdown();
        for (Path dir : nativeCopies()) {
            if (!copiesBefore.contains(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // Left for the OS's temp cleaning; nothing depends on it.
                }
            }
        }
    }

    private static Set<Path> nativeCopies() {
        try (Stream<Path> dirs = Files.list(NATIVE_COPIES)) {
            return dirs.filter(d -> d.getFileName().toString().matches("\\d+")
                    && Files.exists(d.resolve("libcore_worker_library_java.so"))).collect(Collectors.toSet());
        } catch (IOException e) {
            return Set.of();
        }
    }
}
