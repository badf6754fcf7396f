package dev.conduit.queue.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A target from the issue: a Conduit backend's figure divided by a reference's, measured in the
 * same run, must reach {@code target}. Immutable.
 *
 * @param scenario where both are measured
 * @param subject the Conduit backend
 * @param reference what it is measured against
 * @param target the least acceptable ratio subject/reference (throughput: higher is better)
 * @param targetText how the issue states the target
 */
record Comparison(Scenario scenario, Contender subject, Contender reference, double target, String targetText) {

    private static final String WITHIN_ONE_AND_A_HALF = "within 1.5× (≥ 0.67×)";

    /**
     * The targets of issue 2, "Benchmarks", judged on both non-blocking loops: with a yield after
     * a failed attempt (the meaningful one when threads outnumber cores) and without back-off; then
     * {@code local}'s targets again for {@code local-view}, the same queue through its
     * {@code asBlockingQueue()} view, whose {@code poll()} returns no {@code Optional} (which C2 on
     * JDK 17 allocates per call): the difference between the two rows is what the {@code Optional}
     * costs.
     */
    static final List<Comparison> TARGETS = Stream.of(
            targetsOf(Scenario.THROUGHPUT_1X1, Scenario.THROUGHPUT_4X4),
            targetsOf(Scenario.SPIN_1X1, Scenario.SPIN_4X4),
            localTargetsOf(Contender.LOCAL_VIEW, Scenario.THROUGHPUT_1X1, Scenario.THROUGHPUT_4X4),
            localTargetsOf(Contender.LOCAL_VIEW, Scenario.SPIN_1X1, Scenario.SPIN_4X4))
            .flatMap(List::stream).toList();

    /**
     * The {@code ≥ 3× ArrayBlockingQueue} targets asked of JCTools' {@code MpmcArrayQueue}, the
     * fastest non-blocking queue measured, in each loop: not targets of Conduit's, but the ceiling
     * that tells how to read Conduit's rows against ArrayBlockingQueue. In a host state where the
     * ceiling itself falls short, no non-blocking queue could meet those targets, so their rounds
     * in that state measure the host more than the queue.
     */
    static final List<Comparison> CEILINGS = Stream.of(Scenario.THROUGHPUT_1X1, Scenario.THROUGHPUT_4X4,
                    Scenario.SPIN_1X1, Scenario.SPIN_4X4)
            .map(s -> new Comparison(s, Contender.MPMC_ARRAY_QUEUE, Contender.ARRAY_BLOCKING_QUEUE, 3.0, "≥ 3×"))
            .toList();

    /** The targets for one loop, measured with one and with four threads a side. */
    private static List<Comparison> targetsOf(Scenario oneToOne, Scenario fourToFour) {
        List<Comparison> all = new ArrayList<>(localTargetsOf(Contender.LOCAL, oneToOne, fourToFour));
        all.add(new Comparison(oneToOne, Contender.PRIORITY, Contender.PRIORITY_BLOCKING_QUEUE, 2.0, "≥ 2×"));
        return all;
    }

    /** The targets for {@code local}, for one way of using it. */
    private static List<Comparison> localTargetsOf(Contender local, Scenario oneToOne, Scenario fourToFour) {
        return List.of(
                new Comparison(oneToOne, local, Contender.ARRAY_BLOCKING_QUEUE, 3.0, "≥ 3×"),
                new Comparison(fourToFour, local, Contender.ARRAY_BLOCKING_QUEUE, 3.0, "≥ 3×"),
                new Comparison(oneToOne, local, Contender.MPMC_ARRAY_QUEUE, 1 / 1.5, WITHIN_ONE_AND_A_HALF),
                new Comparison(fourToFour, local, Contender.MPMC_ARRAY_QUEUE, 1 / 1.5, WITHIN_ONE_AND_A_HALF));
    }

    /** How a comparison came out. */
    enum Verdict {
        /** The ratio reaches the target. */
        PASS,
        /** The ratio falls short of the target. */
        MISS,
        /** One of the two figures was not measured in this run. */
        NOT_RUN
    }

    /**
     * The ratio subject/reference, oriented so that higher is better for the subject.
     *
     * @param figures this run's figures
     * @return the ratio, empty if either figure is missing
     */
    Optional<Double> ratio(Figures figures) {
        Optional<Figure> s = figures.get(scenario, subject);
        Optional<Figure> r = figures.get(scenario, reference);
        if (s.isEmpty() || r.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Figures.advantage(s.get(), r.get()));
    }

    /**
     * Judges this run.
     *
     * @param figures this run's figures
     * @return the verdict
     */
    Verdict verdict(Figures figures) {
        return ratio(figures).map(x -> x >= target ? Verdict.PASS : Verdict.MISS).orElse(Verdict.NOT_RUN);
    }
}
