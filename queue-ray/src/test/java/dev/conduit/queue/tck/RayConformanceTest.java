package dev.conduit.queue.tck;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.ray.RayBackend;
import dev.conduit.queue.ray.RayDriver;
import dev.conduit.queue.ray.RayTestCluster;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance suite against the {@code ray} backend on a real two-node cluster
 * ({@code scripts/ray-cluster.sh test}); skipped with the reason when no cluster is named. Every
 * queue lives in its own detached actor in a Ray namespace of this run, so runs never meet old
 * queues. The queues share one host actor (option {@code host}): a Ray actor is a JVM of its own,
 * whose start costs seconds on a loaded machine, and the suite makes over a hundred queues. The
 * dedicated actor every queue gets without that option runs the same queue code; its own
 * lifecycle (destroy kills the actor, node loss) is checked by the cluster tests in
 * {@code dev.conduit.queue.ray}.
 *
 * <p>The cross-process check starts a second JVM with this class path: it is a Ray driver of its
 * own and gets the driver's flags from {@code JDK_JAVA_OPTIONS}, which the {@code -Pray} profile
 * sets for the test JVM and so for its children.
 */
@EnabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
        disabledReason = RayTestCluster.SKIP_REASON)
@ExtendWith(RayDriver.class)
class RayConformanceTest extends QueueConformanceTest {
    /** The descriptor option naming the actor's Ray namespace. */
    private static final String RAY_NAMESPACE = "rayNamespace";
    /** The descriptor option placing a queue on a shared host actor. */
    private static final String HOST = "host";
    private static final String NAMESPACE = RayTestCluster.freshNamespace("tck");

    /** Starts the host (seconds), so that no timed check pays for it. */
    @BeforeAll
    static void startHost() {
        try (MessageQueue<String> q = hostDescriptor().open()) {
            q.size();
            q.destroy();
        }
    }

    @AfterAll
    static void stopHost() {
        RayBackend.destroyHost(hostDescriptor());
    }

    private static QueueDescriptor hostDescriptor() {
        return QueueDescriptor.ray("host-start").withOption(RAY_NAMESPACE, NAMESPACE).withOption(HOST, "tck");
    }

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return handleOptions(QueueDescriptor.ray(id).withCapacity(capacity).withOption(RAY_NAMESPACE, NAMESPACE)
                .withOption(HOST, "tck"));
    }

    /**
     * Options of the handles under test, beyond namespace and host; the suite runs once as they
     * are and once more with consumer prefetch ({@link RayPrefetchConformanceTest}).
     *
     * @param d the descriptor of a suite's queue
     * @return the descriptor the suite opens
     */
    QueueDescriptor handleOptions(QueueDescriptor d) {
        return d;
    }

    @Override
    protected Stress stress() {
        // Every get is a Ray actor call (about a millisecond between JVMs, several on a loaded
        // two-core machine) and the stress checks take items one by one: 500 per producer keeps the
        // suite near a minute and a half of the CI's Ray step; -Dconduit.tck.items sets another size.
        Stress s = super.stress();
        return s.withItemsPerProducer(Math.min(s.itemsPerProducer(), Integer.getInteger("conduit.tck.items", 500)));
    }

    @Override
    protected Duration timingSlack() {
        // A timed call ends in the actor and its answer then crosses Ray back (task return, object
        // store hand-off, the client's 20 ms wait slices): on a loaded host that is tens to a few
        // hundred milliseconds, more than the suite's in-JVM default of 250 ms.
        return Duration.ofMillis(500);
    }
}
