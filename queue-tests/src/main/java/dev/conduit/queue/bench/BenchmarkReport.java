package dev.conduit.queue.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.RunnerException;

/**
 * Runs the in-JVM benchmark suite (JMH: {@link ThroughputBenchmark},
 * {@link BlockingThroughputBenchmark}, {@link LatencyBenchmark}) in one go, compares Conduit's
 * {@code local} (also through its {@code asBlockingQueue()} view, {@code local-view}) and
 * {@code priority} with their references, prints the verdicts, and rewrites the
 * in-JVM section of {@code docs/benchmarks.md} with tables and PNG charts ({@code docs/img/}).
 * Other sections of the page (shared memory, rpc, ray) are left as they are.
 *
 * <p>Usage: {@code BenchmarkReport [--quick] [--rounds N] [--docs DIR] [--include REGEX]
 * [--profiler NAME]... [--param NAME=VALUE,...]... [--json FILE] [--no-docs] [--verbose]}. The
 * suite runs as rounds of one fork per benchmark ({@link InterleavedRounds}), and each target is
 * judged on the median of its per-round paired ratios, those of rounds measured in one host state
 * when there are enough ({@link PairedRatio}). {@code --quick} is a
 * smoke run for CI (one round, under two minutes on a quiet machine); the full run (five rounds)
 * takes about twenty-five minutes. System
 * property {@code conduit.bench.command} names the command to print as the way to reproduce the
 * run ({@code scripts/bench.sh} sets it); with system property {@value BenchResults#RESULTS_PROPERTY}
 * the targets are also written to that file ({@link BenchResults}).
 *
 * <p>Not thread-safe: one run at a time per JVM.
 */
public final class BenchmarkReport {
    /** The page the report writes, inside the docs directory. */
    public static final String PAGE = "benchmarks.md";

    /** The start of a new page, before the first section. */
    static final String PAGE_HEADER = """
            # Benchmarks

            Every figure on this page is measured beside the reference it must beat, in the same run on the same
            machine, and given as a ratio. Each section is written by its own harness between
            `<!-- section:NAME -->` markers; a harness rewrites only its own section.
            """;

    private BenchmarkReport() {
    }

    /**
     * Runs the suite from the command line and exits with {@link #run}'s status.
     *
     * @param args see the class comment
     */
    public static void main(String[] args) {
        int status = run(System.out, args);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the suite, prints the verdicts to {@code out}, and rewrites the page unless told not to.
     * This is the entry point for other tools (the {@code conduit bench} command).
     *
     * @param out where the summary goes (JMH's own progress goes to standard output)
     * @param args see the class comment
     * @return 0 on success, 2 for a bad command line, 1 if a benchmark or the writing failed (what
     *     did run is still reported); a missed target is reported, not an error
     */
    public static int run(PrintStream out, String... args) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(usage());
            return 0;
        }
        RunSettings.Parsed parsed;
        try {
            parsed = RunSettings.parse(args, System.getProperty("conduit.bench.command"));
        } catch (IllegalArgumentException e) {
            out.println("bench: " + e.getMessage());
            return 2;
        }
        try {
            return runParsed(out, parsed);
        } catch (RunnerException | IOException | RuntimeException e) {
            out.println("bench: failed: " + e);
            e.printStackTrace(out);
            return 1;
        }
    }

    private static int runParsed(PrintStream out, RunSettings.Parsed parsed) throws RunnerException, IOException {
        RunSettings settings = parsed.settings();
        MachineInfo machine = MachineInfo.current();
        Path json = null;
        if (parsed.jsonResult() != null) {
            json = Path.of(parsed.jsonResult()).toAbsolutePath();
            Files.createDirectories(json.getParent());
        }
        InterleavedRounds interleaved = new InterleavedRounds(settings, out);
        List<InterleavedRounds.Fork> forks = interleaved.repair(interleaved.run(), Comparison.TARGETS);
        int rounds = InterleavedRounds.roundCount(forks);
        List<RunResult> runs = InterleavedRounds.merged(forks);
        if (json != null) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, json.toString()).writeOut(runs);
        }
        Figures figures = Figures.of(runs);
        if (figures.isEmpty()) {
            out.println("bench: no benchmark matched '" + settings.include() + "'");
            return 1;
        }
        List<PairedRatio> paired = Comparison.TARGETS.stream()
                .map(c -> PairedRatio.of(c, forks, rounds)).toList();
        List<PairedRatio> ceilings = Comparison.CEILINGS.stream()
                .map(c -> PairedRatio.of(c, forks, rounds)).toList();
        InprocReport report = new InprocReport(figures, paired, ceilings, forks, settings, machine,
                MachineInfo.currentLoadAverage());
        out.println();
        out.println("Conduit in-JVM targets (" + (settings.quick() ? "quick" : "full") + " run, " + machine.cores()
                + " cores, load average " + String.format(java.util.Locale.ROOT, "%.2f", machine.loadAverage())
                + "):");
        out.print(report.targetsAsText());
        BenchResults results = report.results();
        Path resultsFile = results == null ? null : results.writeIfAsked();
        if (resultsFile != null) {
            out.println("Wrote the results file " + resultsFile);
        }
        if (parsed.writeDocs()) {
            Path docs = Path.of(parsed.docsDir());
            Files.createDirectories(docs);
            report.renderCharts(docs);
            Path page = docs.resolve(PAGE);
            String before = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : null;
            String after = MarkdownSections.merge(before, PAGE_HEADER, InprocReport.SECTION, report.markdown());
            Files.writeString(page, after, StandardCharsets.UTF_8);
            out.println("Wrote " + page + " and its charts in " + docs.resolve(InprocReport.IMAGE_DIR));
        }
        boolean incomplete = settings.isWholeSuite() && Comparison.TARGETS.stream()
                .anyMatch(c -> c.verdict(figures) == Comparison.Verdict.NOT_RUN
                        && !(settings.quick() && c.scenario().backoff != null && c.scenario().backoff.equals("none")));
        if (incomplete) {
            out.println("bench: some benchmarks failed (see JMH's output above); their targets are NOT RUN");
            return 1;
        }
        return 0;
    }

    private static String usage() {
        return """
                Usage: BenchmarkReport [options]
                  --quick            a short smoke run (one round, about two minutes) instead of the full one
                                     (five rounds, ~25 min)
                  --rounds N         rounds of one fork per benchmark (default 5, 1 with --quick); the
                                     contenders of a scenario run back to back in each round
                  --repairs N        then, for a target with fewer than 3 rounds measured in one host
                                     state, up to N repair rounds of its two forks (default 3, 0 with
                                     --quick)
                  --docs DIR         the directory of benchmarks.md and img/ (default: docs)
                  --include REGEX    run only the JMH benchmarks matching REGEX
                  --profiler NAME    add a JMH profiler (gc, stack, ...); repeatable
                  --param NAME=V,... run only these values of a JMH parameter (impl, backoff, capacity)
                  --json FILE        also write JMH's JSON result (every counter) to FILE
                  --no-docs          print the verdicts only; do not touch the page
                  --verbose          print JMH's own progress for every fork
                """;
    }
}
