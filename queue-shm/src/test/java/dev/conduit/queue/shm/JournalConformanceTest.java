package dev.conduit.queue.shm;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.tck.QueueConformanceTest;
import dev.conduit.queue.tck.Stress;
import java.nio.file.Path;

/**
 * The conformance suite against the durable {@code journal} backend (Chronicle Queue). It runs
 * here rather than in queue-tests because this module's surefire argLine has Chronicle's JVM
 * flags (docs/shm.md).
 */
class JournalConformanceTest extends QueueConformanceTest {
    private static final Path DIR = Path.of("target", "journal-tck-" + ProcessHandle.current().pid());

    /** Every journal operation takes a file lock: fewer items than in-JVM backends, still racing threads. */
    @Override
    protected Stress stress() {
        return new Stress(2, 2, Integer.getInteger("conduit.tck.items", 500));
    }

    /**
     * The first operation of each test opens a fresh Chronicle queue (hundreds of ms, over a second on
     * a loaded 2-core machine), and the timing checks measure it; the waits themselves are exact.
     */
    @Override
    protected java.time.Duration timingSlack() {
        return java.time.Duration.ofSeconds(3);
    }

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.of("journal", id).withNamespace("tck").withCapacity(capacity)
                .withOption("dir", DIR.toAbsolutePath().toString());
    }
}
