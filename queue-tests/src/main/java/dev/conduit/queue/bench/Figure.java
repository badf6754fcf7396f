package dev.conduit.queue.bench;

/**
 * One measured figure: a contender in a scenario, with JMH's 99.9% confidence half-width and, for
 * sampled latencies, percentiles. Immutable.
 *
 * @param scenario what was measured
 * @param contender which queue
 * @param score the mean (throughput or time, in the scenario's unit)
 * @param error the 99.9% confidence half-width, NaN when JMH had too few iterations for one
 * @param p50 the median sample, NaN unless sampled
 * @param p90 the 90th percentile sample, NaN unless sampled
 * @param p99 the 99th percentile sample, NaN unless sampled
 */
record Figure(Scenario scenario, Contender contender, double score, double error, double p50, double p90,
        double p99) {

    /** @return whether percentiles are known */
    boolean hasPercentiles() {
        return !Double.isNaN(p50);
    }
}
