package dev.conduit.queue.cli;

import dev.conduit.queue.BackendNotFoundException;
import dev.conduit.queue.spi.BackendRegistry;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Whether the {@code ray} demo can run here, and the JVM options its child drivers need. The
 * demo runs against a cluster that is already up (see docs/ray.md): the address comes from
 * {@code -Dray.address} or the environment variable {@code RAY_ADDRESS}, Ray's runtime jar
 * ({@code scripts/ray-cluster.sh jar}) must be on the class path, and the driver must have the
 * {@code --add-opens} flags {@code scripts/ray-cluster.sh env} prints.
 *
 * <p>Immutable; thread-safe.
 */
final class RayCluster {
    /** The command line that runs the ray demo from the repository root, for the error messages. */
    static final String HOW_TO_RUN = "scripts/ray-cluster.sh up && java $(scripts/ray-cluster.sh env "
            + "queue-cli/target/conduit.jar) -cp queue-cli/target/conduit.jar:$(scripts/ray-cluster.sh jar) "
            + "dev.conduit.queue.cli.Conduit demo --backend ray";
    private static final int CONNECT_TIMEOUT_MILLIS = 2000;

    private final String address;

    private RayCluster(String address) {
        this.address = address;
    }

    /**
     * Checks that a Ray cluster answers and that this JVM can be its driver.
     *
     * @return the cluster
     * @throws BackendNotFoundException with one line saying what to run, when no address is set,
     *     nothing answers there, Ray's runtime is not on the class path, or the driver flags are
     *     missing
     */
    static RayCluster requireReachable() {
        String address = System.getProperty("ray.address");
        if (address == null || address.isBlank()) {
            address = System.getenv("RAY_ADDRESS");
        }
        if (address == null || address.isBlank()) {
            throw unavailable("no Ray cluster is configured (neither -Dray.address nor RAY_ADDRESS is set)");
        }
        if (!answers(address)) {
            throw unavailable("no Ray cluster answers at " + address);
        }
        boolean runtime = BackendRegistry.getDefault().backends().containsKey("ray");
        if (!runtime) {
            throw unavailable("Ray's runtime jar is not on the class path");
        }
        if (!Object.class.getModule().isOpen("java.lang", RayCluster.class.getModule())) {
            throw unavailable("this JVM lacks the --add-opens flags Ray's serializer needs");
        }
        // Ray's Java runtime reads only system properties; its worker JVMs load Conduit's classes
        // from the code search path, by default this JVM's class path without Ray's own jar.
        System.setProperty("ray.address", address);
        if (System.getProperty("ray.job.code-search-path") == null) {
            System.setProperty("ray.job.code-search-path",
                    Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                            .filter(e -> !e.endsWith("ray_dist.jar"))
                            .collect(Collectors.joining(File.pathSeparator)));
        }
        return new RayCluster(address);
    }

    private static BackendNotFoundException unavailable(String why) {
        return new BackendNotFoundException("ray", "the ray demo needs a running Ray cluster: " + why + "; run: "
                + HOW_TO_RUN);
    }

    private static boolean answers(String address) {
        int colon = address.lastIndexOf(':');
        if (colon < 1) {
            return false;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1))), CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /**
     * The options a child driver needs: this JVM's own {@code --add-opens} and {@code -Dray.*}
     * flags, the cluster address and the code search path.
     *
     * @return the options
     */
    List<String> driverJvmOptions() {
        List<String> options = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--add-exports")
                    || (arg.startsWith("-Dray.") && !arg.startsWith("-Dray.address=")
                        && !arg.startsWith("-Dray.job.code-search-path="))) {
                options.add(arg);
            }
        }
        options.add("-Dray.address=" + address);
        options.add("-Dray.job.code-search-path=" + System.getProperty("ray.job.code-search-path"));
        return options;
    }
}
