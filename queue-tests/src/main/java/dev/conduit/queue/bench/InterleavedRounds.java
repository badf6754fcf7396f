package dev.conduit.queue.bench;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the selected JMH benchmarks as rounds: in each round, one fork of every benchmark and
 * parameter combination, the contenders of one scenario back to back, with the {@link HostFloor}
 * sampled just before and just after each fork. JMH's own order runs all forks of one contender
 * together, so a Conduit backend and its reference were measured minutes apart; on a VM whose two
 * vCPUs the host moves between SMT siblings and separate cores every minute or so, that put them
 * in different host states and made verdicts flip between runs. Here the forks compared in a ratio are taken
 * seconds apart, and every round gives its own paired ratio ({@link PairedRatio}). Odd rounds
 * reverse the contenders' order, so that neither side of a pair always runs first.
 *
 * <p>Not thread-safe: one run at a time per JVM.
 */
final class InterleavedRounds {

    /**
     * One fork of one benchmark.
     *
     * @param round the round, from 0
     * @param start the wall-clock time it started
     * @param floorNanos the host's ping-pong floor sampled just before it, in nanoseconds
     * @param floorAfterNanos the floor sampled just after it: the host can change state during a
     *     fork, and a fork whose two samples disagree was not measured in one state
     * @param result JMH's result of the fork
     */
    record Fork(int round, LocalTime start, double floorNanos, double floorAfterNanos, RunResult result) {
    }

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);

    private final RunSettings settings;
    private final PrintStream log;

    /**
     * @param settings what to run, and how many rounds
     * @param log where a line per fork goes (round, time, floor, benchmark, parameters, figure)
     */
    InterleavedRounds(RunSettings settings, PrintStream log) {
        this.settings = settings;
        this.log = log;
    }

    /**
     * Runs every round.
     *
     * @return every fork that produced a result, in the order run
     * @throws RunnerException if JMH cannot run at all
     */
    List<Fork> run() throws RunnerException {
        List<Map<String, String>> combinations = combinations();
        List<Fork> forks = new ArrayList<>();
        for (int round = 0; round < settings.rounds(); round++) {
            List<Map<String, String>> order = new ArrayList<>(combinations);
            if (round % 2 == 1) {
                reverseWithinScenarios(order);
            }
            for (Map<String, String> combination : order) {
                runFork(round, combination, forks);
            }
        }
        return forks;
    }

    /**
     * Repair rounds, after {@link #run}: a target whose pair has fewer than
     * {@link PairedRatio#MIN_MATCHED} matched rounds (the host changed state between or during its
     * two forks) gets its two contenders' forks again, back to back (the order alternating), as a
     * round of their own, until it has that many or {@link RunSettings#repairs()} repairs were run.
     * Whether a round counts is read from its floors alone, never from its ratio, so a repair
     * cannot choose the outcome; it only replaces a verdict over every round, host changes
     * included, with one over rounds measured in one state.
     *
     * @param forks every fork of the rounds run so far
     * @param targets the targets to repair, in order
     * @return those forks and the repairs' forks, in the order run
     * @throws RunnerException if JMH cannot run at all
     */
    List<Fork> repair(List<Fork> forks, List<Comparison> targets) throws RunnerException {
        List<Fork> all = new ArrayList<>(forks);
        if (settings.repairs() == 0) {
            return all;
        }
        List<Map<String, String>> combinations = combinations();
        int next = roundCount(all);
        for (Comparison c : targets) {
            Optional<Map<String, String>> subject = combinationOf(combinations, c, c.subject());
            Optional<Map<String, String>> reference = combinationOf(combinations, c, c.reference());
            if (subject.isEmpty() || reference.isEmpty()) {
                continue;
            }
            for (int attempt = 0; attempt < settings.repairs(); attempt++) {
                PairedRatio p = PairedRatio.of(c, all, next);
                if (p.rounds().isEmpty() || p.matched().size() >= PairedRatio.MIN_MATCHED) {
                    break;
                }
                log.printf(Locale.ROOT, "repair %d of %s vs %s, %s (%d matched rounds of %d)%n", attempt + 1,
                        c.subject().label(), c.reference().label(), c.scenario().shortName, p.matched().size(),
                        p.rounds().size());
                List<Map<String, String>> pair = attempt % 2 == 0 ? List.of(subject.get(), reference.get())
                        : List.of(reference.get(), subject.get());
                for (Map<String, String> combination : pair) {
                    runFork(next, combination, all);
                }
                next++;
            }
        }
        return all;
    }

    /**
     * @param forks forks of a run
     * @return how many rounds they span, repairs included: one more than the highest round
     */
    static int roundCount(List<Fork> forks) {
        return forks.stream().mapToInt(Fork::round).max().orElse(-1) + 1;
    }

    /** The benchmark and parameter combination that measures one contender in a target's scenario. */
    private static Optional<Map<String, String>> combinationOf(List<Map<String, String>> combinations,
            Comparison c, Contender who) {
        return combinations.stream()
                .filter(m -> m.get(BENCHMARK).endsWith("." + c.scenario().benchmark)
                        && (c.scenario().backoff == null || c.scenario().backoff.equals(m.get("backoff")))
                        && who.label().equals(m.get("impl")))
                .findFirst();
    }

    /** Runs one fork of one combination as part of a round, between two samples of the floor. */
    private void runFork(int round, Map<String, String> combination, List<Fork> forks) throws RunnerException {
        LocalTime start = LocalTime.now().truncatedTo(ChronoUnit.SECONDS);
        double floor = HostFloor.sampleNanos();
        ChainedOptionsBuilder options = settings.forkOptions()
                .include("^" + Pattern.quote(combination.get(BENCHMARK)) + "$");
        combination.forEach((name, value) -> {
            if (!name.equals(BENCHMARK)) {
                options.param(name, value);
            }
        });
        if (!settings.verbose()) {
            options.verbosity(VerboseMode.SILENT);
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        double floorAfter = HostFloor.sampleNanos();
        if (results.isEmpty()) {
            log.printf(Locale.ROOT, "round %d %s floor %.0f ns  %s: FAILED (rerun with --verbose)%n",
                    round + 1, CLOCK.format(start), floor, combination);
        }
        for (RunResult r : results) {
            forks.add(new Fork(round, start, floor, floorAfter, r));
            log.printf(Locale.ROOT, "round %d %s floor %.0f ns  %s %s: %s (floor after %.0f ns)%n", round + 1,
                    CLOCK.format(start), floor, shortName(combination.get(BENCHMARK)), params(combination),
                    figure(r), floorAfter);
        }
    }

    /**
     * Folds the forks of every round into one result per benchmark and parameter combination, as
     * JMH folds the forks of one run, so that figures and JSON read them as forks of one run.
     *
     * @param forks every fork
     * @return one result per combination
     */
    static List<RunResult> merged(List<Fork> forks) {
        Map<String, List<RunResult>> byKey = new LinkedHashMap<>();
        for (Fork f : forks) {
            RunResult r = f.result();
            byKey.computeIfAbsent(r.getParams().id(), k -> new ArrayList<>()).add(r);
        }
        List<RunResult> merged = new ArrayList<>();
        for (List<RunResult> same : byKey.values()) {
            List<BenchmarkResult> all = new ArrayList<>();
            for (RunResult r : same) {
                all.addAll(r.getBenchmarkResults());
            }
            merged.add(new RunResult(same.get(0).getParams(), all));
        }
        return merged;
    }

    /**
     * The forks of one round.
     *
     * @param forks every fork
     * @param round the round
     * @return that round's results
     */
    static List<RunResult> ofRound(List<Fork> forks, int round) {
        return forks.stream().filter(f -> f.round() == round).map(Fork::result).toList();
    }

    private static final String BENCHMARK = "benchmark";

    /**
     * Every benchmark and parameter combination the settings select, grouped by scenario (the
     * benchmark and every parameter but {@code impl}) with the contenders innermost.
     */
    private List<Map<String, String>> combinations() {
        var entries = BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT),
                List.of(settings.include()), List.of());
        List<Map<String, String>> out = new ArrayList<>();
        for (BenchmarkListEntry e : entries) {
            Map<String, List<String>> values = new LinkedHashMap<>();
            if (e.getParams().hasValue()) {
                e.getParams().get().forEach((name, vals) -> values.put(name, List.of(vals)));
            }
            values.putAll(settings.jmhParamsFor(values.keySet()));
            List<String> names = new ArrayList<>(values.keySet());
            names.remove("impl");
            List<Map<String, String>> scenarios = new ArrayList<>();
            scenarios.add(new LinkedHashMap<>(Map.of(BENCHMARK, e.getUsername())));
            for (String name : names) {
                List<Map<String, String>> next = new ArrayList<>();
                for (Map<String, String> s : scenarios) {
                    for (String v : values.get(name)) {
                        Map<String, String> m = new LinkedHashMap<>(s);
                        m.put(name, v);
                        next.add(m);
                    }
                }
                scenarios = next;
            }
            for (Map<String, String> s : scenarios) {
                for (String impl : values.getOrDefault("impl", Collections.singletonList(null))) {
                    Map<String, String> m = new LinkedHashMap<>(s);
                    if (impl != null) {
                        m.put("impl", impl);
                    }
                    out.add(m);
                }
            }
        }
        return out;
    }

    /** Reverses the order of the contenders inside each run of one scenario. */
    private static void reverseWithinScenarios(List<Map<String, String>> order) {
        int from = 0;
        while (from < order.size()) {
            int to = from + 1;
            while (to < order.size() && sameScenario(order.get(from), order.get(to))) {
                to++;
            }
            Collections.reverse(order.subList(from, to));
            from = to;
        }
    }

    private static boolean sameScenario(Map<String, String> a, Map<String, String> b) {
        Map<String, String> x = new LinkedHashMap<>(a);
        Map<String, String> y = new LinkedHashMap<>(b);
        x.remove("impl");
        y.remove("impl");
        return x.equals(y);
    }

    private static String shortName(String benchmark) {
        int dot = benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1);
        return benchmark.substring(dot + 1);
    }

    private static String params(Map<String, String> combination) {
        StringBuilder s = new StringBuilder();
        combination.forEach((name, value) -> {
            if (!name.equals(BENCHMARK) && !name.equals("capacity")) {
                s.append(s.length() == 0 ? "" : " ").append(name).append('=').append(value);
            }
        });
        return s.toString();
    }

    private static String figure(RunResult r) {
        Scenario scenario = Scenario.of(r);
        var result = scenario == null ? r.getPrimaryResult() : scenario.figureOf(r);
        return String.format(Locale.ROOT, "%s %s (iterations %s)", InprocReport.number(result.getScore()),
                result.getScoreUnit(), iterations(result.getStatistics()));
    }

    private static String iterations(org.openjdk.jmh.util.Statistics st) {
        if (st.getN() > 20) {
            return st.getN() + " samples";
        }
        StringBuilder s = new StringBuilder();
        st.getRawData().forEachRemaining(v -> {
            for (long k = 0; k < v.getValue(); k++) {
                s.append(s.length() == 0 ? "" : " ").append(InprocReport.number(v.getKey()));
            }
        });
        return s.toString();
    }
}
