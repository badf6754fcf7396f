package dev.conduit.queue.ray;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Store.CloseableResource;

/**
 * Starts this JVM's Ray driver before the first test class that needs it and stops it once, after
 * the last test of the run. {@code Ray.init} and {@code Ray.shutdown} cost seconds each on a loaded
 * machine, so the cluster test classes share one driver rather than starting one per class.
 *
 * <p>Use as {@code @ExtendWith(RayDriver.class)} beside the {@code @EnabledIfSystemProperty} on
 * {@link RayTestCluster#ADDRESS_PROPERTY}: a disabled class never starts Ray. Thread-safe (JUnit's
 * store computes the driver once).
 */
public final class RayDriver implements BeforeAllCallback {
    /** Made by JUnit. */
    public RayDriver() {
    }

    /** Starts the shared driver unless an earlier test class did. */
    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(RayDriver.class, key -> {
            RayTestCluster.connect();
            return (CloseableResource) RayTestCluster::disconnect;
        }, CloseableResource.class);
    }
}
