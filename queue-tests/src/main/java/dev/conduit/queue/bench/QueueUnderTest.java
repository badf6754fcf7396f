package dev.conduit.queue.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The queue one throughput trial runs on, shared by every thread of a JMH group: parameter
 * {@code impl} names the {@link Contender}, {@code capacity} its size. A fresh queue per trial.
 * Subclasses choose which contenders take part.
 */
@State(Scope.Group)
public abstract class QueueUnderTest {
    /** The item every producer puts: a cached {@code Integer}, so nothing is allocated per put. */
    public static final Integer ITEM = 77;

    /** The most items the queue holds. */
    @Param("1024")
    public int capacity;

    /** The queue; valid between setup and tear-down. */
    public BenchQueue queue;

    /** @return the label of the contender this trial measures */
    protected abstract String impl();

    /** Creates the queue. */
    @Setup(Level.Trial)
    public void open() {
        queue = Contender.byLabel(impl()).create(capacity);
    }

    /** Releases the queue. */
    @TearDown(Level.Trial)
    public void close() {
        queue.close();
    }
}
