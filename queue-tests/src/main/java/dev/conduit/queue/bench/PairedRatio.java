package dev.conduit.queue.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A target judged round by round: in each round of an {@link InterleavedRounds} run, the subject's
 * fork divided by the reference's fork, taken seconds apart. Each ratio keeps the host floors
 * sampled before and after its two forks, and each round is put in a host state: <em>near</em>
 * when all four floors are within {@value #NEAR_FACTOR} times the base floor of the run (its
 * {@value #BASE_PERCENTILE}th percentile: its lowest but for a few odd samples), so in the run's
 * best state (on the machine of 2026-11-27, most likely the two vCPUs on one core's SMT siblings);
 * <em>far</em> when all four are above it (the vCPUs on separate cores, or other work took one of
 * them); <em>mixed</em> otherwise. A mixed round compares two forks measured in different host
 * states, or in a state that changed during a fork: its ratio says more about the host than about
 * the queues (0.14× and 3.82× for the same pair in one run). So the verdict is the median of the
 * <em>matched</em> rounds (near and far) when there are at least {@value #MIN_MATCHED} of them,
 * and of every round otherwise. Immutable.
 *
 * @param comparison the target
 * @param rounds the paired ratio of every round where both were measured, in round order
 * @param baseFloorNanos the run's base floor: the {@value #BASE_PERCENTILE}th percentile of the host
 *     floors sampled around its forks
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

    /** The fewest matched rounds the verdict is taken from; with fewer, it is taken from every round. */
    static final int MIN_MATCHED = 3;

    /** The host state of a round, from the floors sampled around its two forks. */
    enum State {
        /** Every floor near the run's base. */
        NEAR,
        /** Every floor far above it. */
        FAR,
        /** Some near and some far, or a floor missing: not a like-for-like pair. */
        MIXED;

        /** @return the state in lower case, for a report */
        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One round's pair.
     *
     * @param round the round, from 0
     * @param ratio subject / reference, oriented so that above 1 favours the subject
     * @param subjectFloorNanos the host floor sampled before the subject's fork
     * @param subjectFloorAfterNanos the host floor sampled after it
     * @param referenceFloorNanos the host floor sampled before the reference's fork
     * @param referenceFloorAfterNanos the host floor sampled after it
     */
    record Round(int round, double ratio, double subjectFloorNanos, double subjectFloorAfterNanos,
            double referenceFloorNanos, double referenceFloorAfterNanos) {

        /**
         * @param baseFloorNanos the run's base floor
         * @return the host state of this round
         */
        State state(double baseFloorNanos) {
            double limit = NEAR_FACTOR * baseFloorNanos;
            int near = 0;
            int far = 0;
            for (double f : new double[] {subjectFloorNanos, subjectFloorAfterNanos, referenceFloorNanos,
                    referenceFloorAfterNanos}) {
                if (f <= limit) {
                    near++;
                } else if (f > limit) {
                    far++;
                }
            }
            return near == 4 ? State.NEAR : far == 4 ? State.FAR : State.MIXED;
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
                Optional<InterleavedRounds.Fork> subject = forkOf(forks, r, comparison, comparison.subject());
                Optional<InterleavedRounds.Fork> reference = forkOf(forks, r, comparison, comparison.reference());
                rounds.add(new Round(r, ratio.get(), before(subject), after(subject), before(reference),
                        after(reference)));
            }
        }
        return new PairedRatio(comparison, List.copyOf(rounds), baseFloorNanos(forks));
    }

    /** @return the rounds the verdict is taken from: the matched ones if there are enough, else every round */
    List<Round> verdictRounds() {
        List<Round> matched = matched();
        return matched.size() >= MIN_MATCHED ? matched : rounds;
    }

    /** @return whether the verdict is taken from the matched rounds only */
    boolean verdictOnMatched() {
        return matched().size() >= MIN_MATCHED;
    }

    /** @return the rounds measured in one host state throughout (near or far), in round order */
    List<Round> matched() {
        return rounds.stream().filter(r -> r.state(baseFloorNanos) != State.MIXED).toList();
    }

    /** @return the median of the verdict's rounds ({@link #verdictRounds}), empty when no round measured both */
    Optional<Double> median() {
        return medianOf(verdictRounds());
    }

    /**
     * The rounds of one host state.
     *
     * @param state the state
     * @return those rounds, in round order
     */
    List<Round> inState(State state) {
        return rounds.stream().filter(r -> r.state(baseFloorNanos) == state).toList();
    }

    /**
     * The median ratio of the rounds of one host state.
     *
     * @param state the state
     * @return the median, empty when no round was in that state
     */
    Optional<Double> medianInState(State state) {
        return medianOf(inState(state));
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

    /** @return how many of the verdict's rounds ({@link #verdictRounds}) reached the target on their own */
    long roundsMet() {
        return verdictRounds().stream().filter(r -> r.ratio() >= comparison.target()).count();
    }

    /** @return the verdict of the median ratio ({@link #median}) */
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
        double[] f = forks.stream()
                .flatMapToDouble(k -> java.util.stream.DoubleStream.of(k.floorNanos(), k.floorAfterNanos()))
                .filter(x -> !Double.isNaN(x)).sorted().toArray();
        return f.length == 0 ? Double.NaN : f[(f.length - 1) * BASE_PERCENTILE / 100];
    }

    private static Optional<InterleavedRounds.Fork> forkOf(List<InterleavedRounds.Fork> forks, int round,
            Comparison c, Contender who) {
        return forks.stream()
                .filter(f -> f.round() == round && c.scenario() == Scenario.of(f.result())
                        && who.label().equals(f.result().getParams().getParam("impl")))
                .findFirst();
    }

    private static double before(Optional<InterleavedRounds.Fork> fork) {
        return fork.map(InterleavedRounds.Fork::floorNanos).orElse(Double.NaN);
    }

    private static double after(Optional<InterleavedRounds.Fork> fork) {
        return fork.map(InterleavedRounds.Fork::floorAfterNanos).orElse(Double.NaN);
    }

    /**
     * @return each round's ratio with its state and the floors before and after Conduit's fork and the
     *     reference's, for a report: "1.23× near (110→98/95→120 ns)"
     */
    String describeRounds() {
        StringBuilder s = new StringBuilder();
        for (Round r : rounds) {
            s.append(s.length() == 0 ? "" : ", ").append(String.format(java.util.Locale.ROOT,
                    "%.2f× %s (%s→%s/%s→%s ns)", r.ratio(), r.state(baseFloorNanos).word(),
                    InprocReport.number(r.subjectFloorNanos()), InprocReport.number(r.subjectFloorAfterNanos()),
                    InprocReport.number(r.referenceFloorNanos()), InprocReport.number(r.referenceFloorAfterNanos())));
        }
        return s.toString();
    }
}
