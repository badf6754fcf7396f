package dev.conduit.queue.bench;

import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * One measured situation: which JMH benchmark (group) it comes from, which of its results is the
 * figure, and what the figure means. Immutable.
 */
enum Scenario {
    /** Non-blocking offer/poll, yield after a failed attempt, 1 producer and 1 consumer. */
    THROUGHPUT_1X1("ThroughputBenchmark.oneToOne", "yield", "pollsMade", "1P/1C, yield",
            Unit.MILLION_ITEMS_PER_SECOND),
    /** Non-blocking offer/poll, yield after a failed attempt, 4 producers and 4 consumers. */
    THROUGHPUT_4X4("ThroughputBenchmark.fourToFour", "yield", "pollsMade", "4P/4C, yield",
            Unit.MILLION_ITEMS_PER_SECOND),
    /** Non-blocking offer/poll, no back-off, 1 producer and 1 consumer. */
    SPIN_1X1("ThroughputBenchmark.oneToOne", "none", "pollsMade", "1P/1C, no back-off",
            Unit.MILLION_ITEMS_PER_SECOND),
    /** Non-blocking offer/poll, no back-off, 4 producers and 4 consumers. */
    SPIN_4X4("ThroughputBenchmark.fourToFour", "none", "pollsMade", "4P/4C, no back-off",
            Unit.MILLION_ITEMS_PER_SECOND),
    /** Blocking put/take, 1 producer and 1 consumer. */
    BLOCKING_1X1("BlockingThroughputBenchmark.oneToOne", null, "pollsMade", "1P/1C",
            Unit.MILLION_ITEMS_PER_SECOND),
    /** Blocking put/take, 4 producers and 4 consumers. */
    BLOCKING_4X4("BlockingThroughputBenchmark.fourToFour", null, "pollsMade", "4P/4C",
            Unit.MILLION_ITEMS_PER_SECOND),
    /** Put then get on one thread. */
    HAND_OFF("LatencyBenchmark.handOff", null, "putThenGet", "put→get, one thread", Unit.NANOSECONDS),
    /** Ping-pong between two threads over two queues. */
    ROUND_TRIP("LatencyBenchmark.roundTrip", null, "ping", "round trip, two threads", Unit.MICROSECONDS);

    /** What a figure counts, and which direction is better. */
    enum Unit {
        /** Items through the queue per second, in millions (JMH's ops/µs). */
        MILLION_ITEMS_PER_SECOND("M items/s", true),
        /** Nanoseconds per operation. */
        NANOSECONDS("ns", false),
        /** Microseconds per operation. */
        MICROSECONDS("µs", false);

        final String symbol;
        final boolean higherIsBetter;

        Unit(String symbol, boolean higherIsBetter) {
            this.symbol = symbol;
            this.higherIsBetter = higherIsBetter;
        }
    }

    final String benchmark;
    /** The value of JMH parameter {@code backoff}, or null where the benchmark has none. */
    final String backoff;
    final String resultLabel;
    final String shortName;
    final Unit unit;

    Scenario(String benchmark, String backoff, String resultLabel, String shortName, Unit unit) {
        this.benchmark = benchmark;
        this.backoff = backoff;
        this.resultLabel = resultLabel;
        this.shortName = shortName;
        this.unit = unit;
    }

    /**
     * The scenario a JMH run belongs to.
     *
     * @param run one JMH run
     * @return the scenario, or null if the run is none of these
     */
    static Scenario of(RunResult run) {
        String name = run.getParams().getBenchmark();
        for (Scenario s : values()) {
            if (name.endsWith("." + s.benchmark)
                    && (s.backoff == null || s.backoff.equals(run.getParams().getParam("backoff")))) {
                return s;
            }
        }
        return null;
    }

    /**
     * The result that is this scenario's figure: a secondary result (an auxiliary counter or one
     * method of a group) if the run has it, the primary result otherwise.
     *
     * @param run a run of this scenario
     * @return the result
     */
    Result<?> figureOf(RunResult run) {
        Map<String, Result> secondary = run.getSecondaryResults();
        Result<?> r = secondary.get(resultLabel);
        return r != null ? r : run.getPrimaryResult();
    }
}
