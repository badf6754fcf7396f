package dev.conduit.queue.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Control;

/**
 * Per-thread producer counters, reported by JMH as rates next to the primary result (as JCTools'
 * queue benchmarks do): items added, and attempts that found the queue full (or, for the blocking
 * form, waited the whole timeout). Only attempts inside JMH's measured window count: group
 * threads start and stop at slightly different times, and what a thread does outside the window
 * would inflate its rate. One instance per benchmark thread; not shared.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class ProducerCounters {
    /** Items the queue accepted during this iteration. */
    public long offersMade;
    /** Attempts that the queue refused during this iteration. */
    public long offersFailed;

    /** Starts every iteration from zero. */
    @Setup(Level.Iteration)
    public void reset() {
        offersMade = 0;
        offersFailed = 0;
    }

    /**
     * Counts one attempt, if it falls inside the measured window.
     *
     * @param accepted whether the queue took the item
     * @param control JMH's iteration control
     */
    public void count(boolean accepted, Control control) {
        if (!control.startMeasurement || control.stopMeasurement) {
            return;
        }
        if (accepted) {
            offersMade++;
        } else {
            offersFailed++;
        }
    }
}
