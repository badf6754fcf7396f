package dev.conduit.queue.bench;

import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * The figures of one benchmark run, by scenario and contender. Not thread-safe; built once, then
 * only read.
 */
final class Figures {
    private final Map<Scenario, Map<Contender, Figure>> byScenario = new EnumMap<>(Scenario.class);

    /**
     * Collects the figures of every run that belongs to a known scenario.
     *
     * @param runs JMH's results
     * @return the figures
     */
    static Figures of(Collection<RunResult> runs) {
        Figures figures = new Figures();
        for (RunResult run : runs) {
            Scenario scenario = Scenario.of(run);
            if (scenario == null) {
                continue;
            }
            Contender contender = Contender.byLabel(run.getParams().getParam("impl"));
            Result<?> r = scenario.figureOf(run);
            Statistics st = r.getStatistics();
            boolean sampled = scenario == Scenario.ROUND_TRIP;
            // Forks of one benchmark can land in different modes (thread placement, JIT decisions:
            // raw MpmcArrayQueue measured 16 and 110 M/s in two forks of one run), so an
            // iteration-based figure is the median of every measured iteration of every fork, which
            // one odd fork cannot move far; a sampled one keeps JMH's score.
            double score = sampled || st.getN() < 2 ? r.getScore() : st.getPercentile(50);
            figures.put(new Figure(scenario, contender, score, r.getScoreError(),
                    sampled ? st.getPercentile(50) : Double.NaN,
                    sampled ? st.getPercentile(90) : Double.NaN,
                    sampled ? st.getPercentile(99) : Double.NaN));
        }
        return figures;
    }

    /**
     * Adds or replaces a figure.
     *
     * @param figure the figure
     */
    void put(Figure figure) {
        byScenario.computeIfAbsent(figure.scenario(), s -> new EnumMap<>(Contender.class))
                .put(figure.contender(), figure);
    }

    /**
     * A figure.
     *
     * @param scenario the scenario
     * @param contender the contender
     * @return the figure, empty if not measured
     */
    Optional<Figure> get(Scenario scenario, Contender contender) {
        return Optional.ofNullable(byScenario.getOrDefault(scenario, Map.of()).get(contender));
    }

    /** @return whether nothing was measured */
    boolean isEmpty() {
        return byScenario.isEmpty();
    }

    /**
     * How much better {@code a} is than {@code b}: a/b for throughput, b/a for time, so that above
     * 1 always means {@code a} is better.
     *
     * @param a a figure
     * @param b a figure of the same scenario
     * @return the ratio
     */
    static double advantage(Figure a, Figure b) {
        return a.scenario().unit.higherIsBetter ? a.score() / b.score() : b.score() / a.score();
    }
}
