package dev.conduit.queue.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Version;

/**
 * How one run of the in-JVM suite is made: quick or full, which benchmarks, which profilers, and
 * the command line that reproduces it. Immutable.
 *
 * @param quick a short smoke run (well under two minutes) instead of the full measurement
 * @param include a JMH regular expression selecting benchmarks
 * @param profilers JMH profiler names ({@code gc}, {@code stack}, …) to add
 * @param params JMH parameter values that replace the benchmarks' own ({@code impl=local}, say)
 * @param command the command that reproduces this run, as the report prints it
 * @param requestedRounds how many rounds of one fork per benchmark ({@link InterleavedRounds}); 0
 *     for the mode's default
 * @param requestedRepairs how many repair rounds a target may get at most
 *     ({@link InterleavedRounds#repair}); -1 for the mode's default
 * @param verbose whether JMH prints its own progress for every fork
 */
record RunSettings(boolean quick, String include, List<String> profilers, Map<String, List<String>> params,
        String command, int requestedRounds, int requestedRepairs, boolean verbose) {
    /** @return whether this run selects the whole suite, so every target should get a verdict */
    boolean isWholeSuite() {
        return include.equals(ALL_BENCHMARKS) && params.isEmpty();
    }

    /** Every benchmark of this package. */
    static final String ALL_BENCHMARKS = "dev\\.conduit\\.queue\\.bench\\..*Benchmark\\..*";

    /**
     * @return rounds per run: each round runs one fork of every selected benchmark, the contenders
     *     of one scenario back to back ({@link InterleavedRounds})
     */
    int rounds() {
        return requestedRounds > 0 ? requestedRounds : quick ? 1 : 5;
    }

    /**
     * @return the most repair rounds one target may get after the rounds ({@link InterleavedRounds#repair}):
     *     3 in a full run, none in a quick one
     */
    int repairs() {
        return requestedRepairs >= 0 ? requestedRepairs : quick ? 0 : 3;
    }

    /**
     * Warm-up iterations per fork: three of a second in a full run. With one, C2's last compile of
     * the benchmark loop (a trace of `local` at 1P/1C with -XX:+PrintCompilation, 2026-11-28: the
     * consumer's loop at tier 4 after 2.5 s) fell inside the first measured iteration, which then
     * ran 20–40% below the second for the Conduit contenders and about 10% below it for
     * MpmcArrayQueue, whose shallower calls compile sooner.
     *
     * @return the count
     */
    int warmupIterations() {
        return quick ? 1 : 3;
    }

    /** @return the length of one warm-up iteration */
    TimeValue warmupTime() {
        return quick ? TimeValue.milliseconds(200) : TimeValue.seconds(1);
    }

    /** @return measured iterations per fork */
    int measurementIterations() {
        return 2;
    }

    /** @return the length of one measured iteration */
    TimeValue measurementTime() {
        return quick ? TimeValue.milliseconds(250) : TimeValue.seconds(1);
    }

    /** @return the JMH version on the class path */
    String jmhVersion() {
        return Version.getPlainVersion();
    }

    /** @return the settings in words, for the report */
    String describe() {
        return String.format(Locale.ROOT, "%d round%s of one fork per benchmark, %d warm-up iteration%s of %s, "
                + "%d measured iterations of %s per fork, up to %d repair round%s per target%s", rounds(),
                rounds() == 1 ? "" : "s", warmupIterations(), warmupIterations() == 1 ? "" : "s", warmupTime(),
                measurementIterations(), measurementTime(), repairs(), repairs() == 1 ? "" : "s",
                quick ? " (quick mode runs only the `yield` loop of the non-blocking benchmark)" : "");
    }

    /**
     * The JMH options every fork of this run shares: iterations, profilers, heap; no benchmark and
     * no parameter chosen yet ({@link InterleavedRounds} adds them fork by fork).
     *
     * @return a builder, ready for a benchmark and its parameters
     */
    ChainedOptionsBuilder forkOptions() {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .forks(1)
                .warmupIterations(warmupIterations())
                .warmupTime(warmupTime())
                .measurementIterations(measurementIterations())
                .measurementTime(measurementTime())
                .timeout(TimeValue.seconds(30))
                .jvmArgsAppend("-Xms512m", "-Xmx512m")
                .shouldFailOnError(false);
        for (String p : profilers) {
            b.addProfiler(p);
        }
        return b;
    }

    /**
     * The values this run gives to some of a benchmark's parameters, replacing the benchmark's
     * own: those of {@code --param}, and in quick mode only the {@code yield} loop.
     *
     * @param names the benchmark's parameters
     * @return the values chosen for those of them that this run chooses
     */
    Map<String, List<String>> jmhParamsFor(java.util.Set<String> names) {
        Map<String, List<String>> chosen = new LinkedHashMap<>();
        if (quick && names.contains("backoff")) {
            chosen.put("backoff", List.of("yield"));
        }
        params.forEach((name, values) -> {
            if (names.contains(name)) {
                chosen.put(name, values);
            }
        });
        return chosen;
    }

    /**
     * Reads the command line of {@link BenchmarkReport}.
     *
     * @param args the arguments
     * @param command the command as the caller ran it, or null to reconstruct it
     * @return the settings and the remaining options
     * @throws IllegalArgumentException on an unknown or incomplete option
     */
    static Parsed parse(String[] args, String command) {
        boolean quick = false;
        String include = ALL_BENCHMARKS;
        List<String> profilers = new ArrayList<>();
        Map<String, List<String>> params = new LinkedHashMap<>();
        String docs = "docs";
        String json = null;
        boolean writeDocs = true;
        int rounds = 0;
        int repairs = -1;
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--include" -> include = value(args, ++i, a);
                case "--profiler" -> profilers.add(value(args, ++i, a));
                case "--param" -> {
                    String p = value(args, ++i, a);
                    int eq = p.indexOf('=');
                    if (eq < 1 || eq == p.length() - 1) {
                        throw new IllegalArgumentException("--param wants NAME=VALUE[,VALUE...], not '" + p + "'");
                    }
                    params.put(p.substring(0, eq), List.of(p.substring(eq + 1).split(",")));
                }
                case "--docs" -> docs = value(args, ++i, a);
                case "--json" -> json = value(args, ++i, a);
                case "--no-docs" -> writeDocs = false;
                case "--verbose" -> verbose = true;
                case "--rounds" -> rounds = wholeNumber(value(args, ++i, a), a, 1);
                case "--repairs" -> repairs = wholeNumber(value(args, ++i, a), a, 0);
                default -> throw new IllegalArgumentException("unknown option '" + a + "'; see --help");
            }
        }
        String cmd = command != null && !command.isBlank() ? command
                : "java -cp <queue-tests classes and dependencies> " + BenchmarkReport.class.getName()
                        + (args.length == 0 ? "" : " " + String.join(" ", args));
        RunSettings settings = new RunSettings(quick, include, List.copyOf(profilers), Map.copyOf(params), cmd, rounds,
                repairs, verbose);
        return new Parsed(settings, docs, json, writeDocs);
    }

    /** The value of a count option, at least {@code min}; anything else is refused with the value. */
    private static int wholeNumber(String value, String option, int min) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            n = min - 1;
        }
        if (n < min) {
            throw new IllegalArgumentException(
                    option + " wants a whole number of at least " + min + ", not '" + value + "'");
        }
        return n;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("option " + option + " needs a value");
        }
        return args[i];
    }

    /**
     * A parsed command line.
     *
     * @param settings the run
     * @param docsDir the directory holding benchmarks.md
     * @param jsonResult where JMH writes its JSON, or null
     * @param writeDocs whether to rewrite the page and charts
     */
    record Parsed(RunSettings settings, String docsDir, String jsonResult, boolean writeDocs) {
    }
}
