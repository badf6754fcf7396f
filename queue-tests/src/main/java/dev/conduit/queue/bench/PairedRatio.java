package dev.conduit.queue.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A target judged round by round: in each round of an {@link InterleavedRounds} run, the subject's
 * fork divided by the reference's fork, taken seconds apart; the verdict is the median of those
 * paired ratios. Each ratio keeps the host floors sampled before its two forks, so that a reader
 * sees which host state it was measured in, and the rounds are also summed up by state: a pair is
 * <em>near</em> when both of its floors are within {@value #NEAR_FACTOR} times the base floor of
 * the run (its {@value #BASE_PERCENTILE}th percentile: its lowest but for a few odd samples), so in
 * the run's best state (on the machine of 2026-11-27, most likely the two vCPUs on one core's SMT
 * siblings); <em>far</em> otherwise (the vCPUs on separate cores, or other work took one of them).
 * Immutable.
 *
 * @param comparison the target
 * @param rounds the paired ratio of every round where both were measured, in round order
 * @param baseFloorNanos the run's base floor: the {@value #BASE_PERCENTILE}th percentile of the host
 *     floors sampled before its forks
 */
record PairedRatio(Comparison comparison, List<Round> rounds, double baseFloorNanos) {

    /** Which percentile of a run's floors is its base floor. */
    static final int BASE_PERCENTILE = 5;

    /**
     * How far above the run's base floor a pair's floors may be and still count as near. On the
     * 2026-11-27 machine the near state's samples spread over 55–150 ns and the far state's over
     * 410–660 ns: three times the base separates them.
     */
    static final int NEAR_FACTOR = 3;

    /**
     * One round's pair.
     *
     * @param round the round, from 0
     * @param ratio subject / reference, oriented so that above 1 favours the subject
     * @param subjectFloorNanos the host floor sampled before the subject's fork
     * @param referenceFloorNanos the host floor sampled before the reference's fork
     */
    record Round(int round, double ratio, double subjectFloorNanos, double referenceFloorNanos) {
        /** @return the higher of the two floors: the state of the pair is that of its worse fork */
        double floorNanos() {
            return Math.max(subjectFloorNanos, referenceFloorNanos);
        }
    }

    /**
     * Pairs the forks of every round.
     *
     * @param comparison the target
     * @param forks every fork of the run
     * @param roundCount how many rounds the run had
     * @return the paired ratios (none if the run measured only one side)
     */
    static PairedRatio of(Comparison comparison, List<InterleavedRounds.Fork> forks, int roundCount) {
        List<Round> rounds = new ArrayList<>();
        for (int r = 0; r < roundCount; r++) {
            Figures figures = Figures.of(InterleavedRounds.ofRound(forks, r));
            Optional<Double> ratio = comparison.ratio(figures);
            if (ratio.isPresent()) {
                rounds.add(new Round(r, ratio.get(), floorOf(forks, r, comparison, comparison.subject()),
                        floorOf(forks, r, comparison, comparison.reference())));
            }
        }
        return new PairedRatio(comparison, List.copyOf(rounds), baseFloorNanos(forks));
    }

    /** @return the median of the paired ratios, empty when no round measured both */
    Optional<Double> median() {
        return medianOf(rounds);
    }

    /**
     * The rounds of one host state.
     *
     * @param near true for the pairs whose floors were both within {@link #NEAR_FACTOR} times the
     *     run's base floor, false for the others
     * @return those rounds, in round order
     */
    List<Round> inState(boolean near) {
        return rounds.stream().filter(r -> (r.floorNanos() <= NEAR_FACTOR * baseFloorNanos) == near).toList();
    }

    /**
     * The median ratio of the rounds of one host state.
     *
     * @param near see {@link #inState}
     * @return the median, empty when no round was in that state
     */
    Optional<Double> medianInState(boolean near) {
        return medianOf(inState(near));
    }

    private static Optional<Double> medianOf(List<Round> rounds) {
        if (rounds.isEmpty()) {
            return Optional.empty();
        }
        double[] r = rounds.stream().mapToDouble(Round::ratio).sorted().toArray();
        int n = r.length;
        return Optional.of(n % 2 == 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2);
    }

    /** @return the lowest paired ratio, NaN when none */
    double min() {
        return rounds.stream().mapToDouble(Round::ratio).min().orElse(Double.NaN);
    }

    /** @return the highest paired ratio, NaN when none */
    double max() {
        return rounds.stream().mapToDouble(Round::ratio).max().orElse(Double.NaN);
    }

    /** @return how many rounds reached the target on their own */
    long roundsMet() {
        return rounds.stream().filter(r -> r.ratio() >= comparison.target()).count();
    }

    /** @return the verdict of the median ratio */
    Comparison.Verdict verdict() {
        return median().map(m -> m >= comparison.target() ? Comparison.Verdict.PASS : Comparison.Verdict.MISS)
                .orElse(Comparison.Verdict.NOT_RUN);
    }

    /**
     * The base floor of a run.
     *
     * @param forks every fork of the run
     * @return the {@value #BASE_PERCENTILE}th percentile of their floors, NaN when there are none
     */
    static double baseFloorNanos(List<InterleavedRounds.Fork> forks) {
        double[] f = forks.stream().mapToDouble(InterleavedRounds.Fork::floorNanos).sorted().toArray();
        return f.length == 0 ? Double.NaN : f[(f.length - 1) * BASE_PERCENTILE / 100];
    }

    private static double floorOf(List<InterleavedRounds.Fork> forks, int round, Comparison c, Contender who) {
        return forks.stream()
                .filter(f -> f.round() == round && c.scenario() == Scenario.of(f.result())
                        && who.label().equals(f.result().getParams().getParam("impl")))
                .mapToDouble(InterleavedRounds.Fork::floorNanos).findFirst().orElse(Double.NaN);
    }

    /** @return each round's ratio with the two floors, for a report: "1.23× (110/560 ns)" */
    String describeRounds() {
        StringBuilder s = new StringBuilder();
        for (Round r : rounds) {
            s.append(s.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT, "%.2f× (%s/%s ns)",
                    r.ratio(), InprocReport.number(r.subjectFloorNanos()),
                    InprocReport.number(r.referenceFloorNanos())));
        }
        return s.toString();
    }
}
