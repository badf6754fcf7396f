package dev.conduit.queue.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Control;

/**
 * Per-thread consumer counters, reported by JMH as rates next to the primary result: items
 * taken ({@code pollsMade} is the throughput the reports use: items that went all the way through
 * the queue), and attempts that found the queue empty (or, for the blocking form, waited the whole
 * timeout). Only attempts inside JMH's measured window count: group threads start and stop at
 * slightly different times, and what a thread does outside the window (spinning on an empty
 * queue while the others start) would inflate its rate. One instance per benchmark thread; not
 * shared.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class ConsumerCounters {
    /** Items taken during this iteration. */
    public long pollsMade;
    /** Attempts that found nothing during this iteration. */
    public long pollsFailed;

    /** Starts every iteration from zero. */
    @Setup(Level.Iteration)
    public void reset() {
        pollsMade = 0;
        pollsFailed = 0;
    }

    /**
     * Counts one attempt, if it falls inside the measured window.
     *
     * @param item what the attempt returned, null for nothing
     * @param control JMH's iteration control
     */
    public void count(Integer item, Control control) {
        if (!control.startMeasurement || control.stopMeasurement) {
            return;
        }
        if (item != null) {
            pollsMade++;
        } else {
            pollsFailed++;
        }
    }
}
