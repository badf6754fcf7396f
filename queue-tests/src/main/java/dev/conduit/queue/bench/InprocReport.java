package dev.conduit.queue.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Writes the in-JVM section of docs/benchmarks.md from one run's figures: the targets of the
 * issue with their verdicts, a table and a chart per comparison, and how it was measured. Not
 * thread-safe.
 */
final class InprocReport {
    /** The section name in docs/benchmarks.md. */
    static final String SECTION = "inproc";
    /** Where the charts go, relative to the page. */
    static final String IMAGE_DIR = "img";

    private static final List<Contender> LOCAL_AND_REFERENCES = List.of(Contender.LOCAL, Contender.LOCAL_VIEW,
            Contender.ARRAY_BLOCKING_QUEUE, Contender.LINKED_BLOCKING_QUEUE, Contender.MPMC_ARRAY_QUEUE);
    private static final List<Contender> PRIORITY_AND_REFERENCE = List.of(Contender.PRIORITY,
            Contender.PRIORITY_BLOCKING_QUEUE);
    private static final List<Contender> BLOCKING = List.of(Contender.LOCAL, Contender.LOCAL_VIEW, Contender.PRIORITY,
            Contender.ARRAY_BLOCKING_QUEUE, Contender.LINKED_BLOCKING_QUEUE, Contender.PRIORITY_BLOCKING_QUEUE);
    private static final List<Contender> ALL = List.of(Contender.values());

    private static final List<BenchmarkCharts.Category> NON_BLOCKING_CATEGORIES = List.of(
            new BenchmarkCharts.Category("1P/1C, yield", Scenario.THROUGHPUT_1X1, Figure::score),
            new BenchmarkCharts.Category("4P/4C, yield", Scenario.THROUGHPUT_4X4, Figure::score),
            new BenchmarkCharts.Category("1P/1C, no back-off", Scenario.SPIN_1X1, Figure::score),
            new BenchmarkCharts.Category("4P/4C, no back-off", Scenario.SPIN_4X4, Figure::score));

    static final BenchmarkCharts.Chart LOCAL_CHART = new BenchmarkCharts.Chart("inproc-local-throughput.png",
            "local vs references: offer/poll throughput (higher is better)", "million items / s",
            LOCAL_AND_REFERENCES, NON_BLOCKING_CATEGORIES);
    static final BenchmarkCharts.Chart PRIORITY_CHART = new BenchmarkCharts.Chart("inproc-priority-throughput.png",
            "priority vs PriorityBlockingQueue: offer/poll throughput (higher is better)", "million items / s",
            PRIORITY_AND_REFERENCE, NON_BLOCKING_CATEGORIES);
    static final BenchmarkCharts.Chart BLOCKING_CHART = new BenchmarkCharts.Chart("inproc-blocking-throughput.png",
            "Blocking put/take throughput (higher is better)", "million items / s", BLOCKING, List.of(
                    new BenchmarkCharts.Category("1 producer / 1 consumer", Scenario.BLOCKING_1X1, Figure::score),
                    new BenchmarkCharts.Category("4 producers / 4 consumers", Scenario.BLOCKING_4X4, Figure::score)));
    static final BenchmarkCharts.Chart HAND_OFF_CHART = new BenchmarkCharts.Chart("inproc-handoff-latency.png",
            "put→get on one thread (lower is better)", "ns per put+get", ALL, List.of(
                    new BenchmarkCharts.Category("average", Scenario.HAND_OFF, Figure::score)));
    static final BenchmarkCharts.Chart ROUND_TRIP_CHART = new BenchmarkCharts.Chart("inproc-roundtrip-latency.png",
            "Round trip between two threads, blocking put/take (lower is better)", "µs", ALL, List.of(
                    new BenchmarkCharts.Category("median", Scenario.ROUND_TRIP, Figure::p50),
                    new BenchmarkCharts.Category("90th percentile", Scenario.ROUND_TRIP, Figure::p90)));

    /** Every chart, in page order. */
    static final List<BenchmarkCharts.Chart> CHARTS = List.of(LOCAL_CHART, PRIORITY_CHART, BLOCKING_CHART,
            HAND_OFF_CHART, ROUND_TRIP_CHART);

    private final Figures figures;
    private final List<PairedRatio> paired;
    private final List<PairedRatio> ceilings;
    private final List<InterleavedRounds.Fork> forks;
    private final RunSettings settings;
    private final MachineInfo machine;
    private final double loadAtEnd;
    private final StringBuilder out = new StringBuilder();

    /**
     * @param figures the run's figures, every round's forks pooled
     * @param paired the paired ratio of every target, in {@link Comparison#TARGETS} order
     * @param ceilings the paired ratio of every ceiling, in {@link Comparison#CEILINGS} order
     * @param forks every fork of the run, with its round and host floor
     * @param settings how the run was made
     * @param machine the machine, taken when the run started
     * @param loadAtEnd the load average when the run ended
     */
    InprocReport(Figures figures, List<PairedRatio> paired, List<PairedRatio> ceilings,
            List<InterleavedRounds.Fork> forks, RunSettings settings, MachineInfo machine, double loadAtEnd) {
        this.figures = figures;
        this.paired = List.copyOf(paired);
        this.ceilings = List.copyOf(ceilings);
        this.forks = List.copyOf(forks);
        this.settings = settings;
        this.machine = machine;
        this.loadAtEnd = loadAtEnd;
    }

    /**
     * Draws every chart.
     *
     * @param docsDir the directory of benchmarks.md
     * @throws IOException if an image cannot be written
     */
    void renderCharts(Path docsDir) throws IOException {
        for (BenchmarkCharts.Chart chart : CHARTS) {
            BenchmarkCharts.render(chart, figures, docsDir.resolve(IMAGE_DIR));
        }
    }

    /** @return the table of targets, as plain text for the console */
    String targetsAsText() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "%-10s %-22s %-19s %10s %10s %8s %-15s %6s %-11s %-11s %-11s  %-22s %s%n", "conduit", "reference",
                "threads", "conduit", "reference", "median", "range", "met", "near (n)", "far (n)", "mixed (n)",
                "target", "verdict"));
        for (PairedRatio p : paired) {
            Comparison c = p.comparison();
            s.append(String.format(Locale.ROOT,
                    "%-10s %-22s %-19s %10s %10s %8s %-15s %6s %-11s %-11s %-11s  %-22s %s%n",
                    c.subject().label(), c.reference().label(), c.scenario().shortName,
                    score(c.scenario(), c.subject()), score(c.scenario(), c.reference()),
                    p.median().map(InprocReport::ratio).orElse("-") + (p.verdictOnMatched() ? "" : "*"), range(p),
                    p.roundsMet() + "/" + p.verdictRounds().size(), inState(p, PairedRatio.State.NEAR),
                    inState(p, PairedRatio.State.FAR), inState(p, PairedRatio.State.MIXED), c.targetText(),
                    p.verdict()));
        }
        s.append("(throughput in million items/s, every round pooled; median and met are the per-round paired "
                + "ratios of the matched rounds (near and far), of every round where marked * (fewer than "
                + PairedRatio.MIN_MATCHED + " matched): rounds at the target / rounds; range: every round; near, far "
                + "and mixed: the median of the rounds whose four floors (before and after both forks) were all "
                + "within " + PairedRatio.NEAR_FACTOR + "x the run's base floor, its " + PairedRatio.BASE_PERCENTILE
                + "th percentile (" + floorRange() + "), all above it, or some of each)\n");
        for (PairedRatio p : paired) {
            if (!p.rounds().isEmpty()) {
                s.append(p.comparison().subject().label()).append(" vs ").append(p.comparison().reference().label())
                        .append(", ").append(p.comparison().scenario().shortName).append(": ")
                        .append(p.describeRounds()).append('\n');
            }
        }
        s.append("(each round's ratio, its host state, and the floors sampled before→after the subject's fork and "
                + "the reference's)\n");
        for (PairedRatio p : ceilings) {
            if (!p.rounds().isEmpty()) {
                s.append(String.format(Locale.ROOT, "ceiling: MpmcArrayQueue vs ArrayBlockingQueue, %s: median %s,"
                        + " near %s, far %s, mixed %s, rounds at 3x %d/%d%n", p.comparison().scenario().shortName,
                        p.median().map(InprocReport::ratio).orElse("-") + (p.verdictOnMatched() ? "" : "*"),
                        inState(p, PairedRatio.State.NEAR), inState(p, PairedRatio.State.FAR),
                        inState(p, PairedRatio.State.MIXED), p.roundsMet(), p.verdictRounds().size()));
            }
        }
        return s.toString();
    }

    /**
     * The targets as a results file ({@link BenchResults}, section {@value #SECTION}): one row per
     * target that was measured, in million items per second.
     *
     * @return the results, or null when no target was measured
     */
    BenchResults results() {
        List<BenchResults.Row> rows = new java.util.ArrayList<>();
        for (PairedRatio p : paired) {
            Comparison c = p.comparison();
            Optional<Figure> subject = figures.get(c.scenario(), c.subject());
            Optional<Figure> reference = figures.get(c.scenario(), c.reference());
            if (subject.isPresent() && reference.isPresent() && p.median().isPresent()) {
                rows.add(new BenchResults.Row("`" + c.subject().label() + "` offer/poll, " + c.scenario().shortName,
                        "M items/s", subject.get().score(), reference.get().score(), c.reference().label(), true,
                        p.median().orElseThrow(), c.targetText(), p.verdict() == Comparison.Verdict.PASS));
            }
        }
        return rows.isEmpty() ? null : BenchResults.now(SECTION, "In-JVM backends: `local` (also as `local-view`) and `priority` (JMH)",
                settings.command(), machine.describe(loadAtEnd), rows);
    }

    /** @return the section's Markdown, without markers */
    String markdown() {
        line("## In-JVM backends: `local` (also as `local-view`) and `priority` (JMH)");
        line("");
        line("Measured " + ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z", Locale.ROOT))
                + " in " + (settings.quick() ? "**quick** mode (a smoke run: indicative only)" : "full mode")
                + " with:");
        line("");
        line("```");
        line(settings.command());
        line("```");
        line("");
        line("Machine: " + machine.describe(loadAtEnd) + ".");
        line("");
        if (machine.wasBusy(loadAtEnd)) {
            line("> **The load average was above half of the " + machine.cores() + " cores at the start or the "
                    + "end of this run.** The suite's own threads raise it (the 4P/4C benchmarks run 8), and other "
                    + "work may also have shared the cores, so absolute figures may be noisy and low. Every contender "
                    + "ran in the same run under the same load, so the ratios are the figures to read.");
            line("");
        }
        if (machine.cores() < 8) {
            line("> The 4 producers / 4 consumers scenario runs 8 threads on " + machine.cores()
                    + " cores, as the issue asks: threads are descheduled mid-operation, which punishes "
                    + "spinning and lock holders alike. Reported as measured.");
            line("");
        }
        targets();
        throughputTables();
        blockingTable();
        latencyTables();
        method();
        return out.toString();
    }

    private void targets() {
        line("### Targets");
        line("");
        line("| Conduit | reference | threads | Conduit (M items/s) | reference (M items/s) | paired ratio, median "
                + "| range | rounds at target | near: median (rounds) | far: median (rounds) "
                + "| mixed: median (rounds) | target | verdict |");
        line("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for (PairedRatio p : paired) {
            Comparison c = p.comparison();
            line("| `" + c.subject().label() + "` | " + c.reference().label() + " | " + c.scenario().shortName + " | "
                    + scoreWithError(c.scenario(), c.subject()) + " | " + scoreWithError(c.scenario(), c.reference())
                    + " | " + p.median().map(InprocReport::ratio).orElse("–") + (p.verdictOnMatched() ? "" : " (all)")
                    + " | " + range(p) + " | " + p.roundsMet() + " of " + p.verdictRounds().size() + " | "
                    + inState(p, PairedRatio.State.NEAR) + " | " + inState(p, PairedRatio.State.FAR) + " | "
                    + inState(p, PairedRatio.State.MIXED) + " | " + c.targetText()
                    + " | **" + p.verdict().name().replace('_', ' ') + "** |");
        }
        line("");
        line("The suite runs in rounds: each round runs one fork of every benchmark, the contenders of one scenario "
                + "back to back, so that a Conduit backend and its reference are measured seconds apart. A round's "
                + "paired ratio is Conduit's fork divided by the reference's fork of that round. Before and after "
                + "every fork the harness samples the host's floor, the round trip of a two-thread busy-spin "
                + "ping-pong: this run saw " + floorRange() + ". On a VM it moves with where the host puts the two "
                + "vCPUs, and the in-JVM figures move with it (see \"What the figures say\"). A round is *near* when "
                + "all four of its floors were within " + PairedRatio.NEAR_FACTOR + "× the run's base floor, the "
                + PairedRatio.BASE_PERCENTILE + "th percentile of its samples (the run's best state: most likely "
                + "the two vCPUs on one core), *far* when all four were above it (on separate cores, or other work "
                + "took one of them), and *mixed* otherwise: its two forks were measured in different host states, "
                + "or the state changed during one, so its ratio compares the host more than the queues. The "
                + "verdict is the median of the matched (near and far) rounds' ratios when there are at least "
                + PairedRatio.MIN_MATCHED + " of them, and of every round otherwise (marked \"(all)\"); the "
                + "rounds at the target count the same rounds, and the range spans every round. A target with "
                + "fewer matched rounds than that after the run's rounds got up to " + settings.repairs()
                + " repair rounds: its two forks again, back to back, as a round of their own, until it had "
                + PairedRatio.MIN_MATCHED + " (a round's state comes from its floors alone, never from its ratio, "
                + "so a repair cannot choose the outcome). Each round's ratio, its state, and the floors "
                + "before→after Conduit's fork and the reference's:");
        line("");
        for (PairedRatio p : paired) {
            if (!p.rounds().isEmpty()) {
                line("- `" + p.comparison().subject().label() + "` / " + p.comparison().reference().label() + ", "
                        + p.comparison().scenario().shortName + ": " + p.describeRounds());
            }
        }
        line("");
        line("A figure in M items/s is the median of every measured iteration of every round; ± is JMH's 99.9% "
                + "confidence half-width of their mean, so a wide ± says the rounds disagreed.");
        line("");
        ceilings();
    }

    /** The ceilings' table: what the ArrayBlockingQueue targets ask of JCTools' queue in the same rounds. */
    private void ceilings() {
        if (ceilings.stream().allMatch(p -> p.rounds().isEmpty())) {
            return;
        }
        line("### The ceiling: MpmcArrayQueue against the same ArrayBlockingQueue target");
        line("");
        line("The `≥ 3×` ArrayBlockingQueue targets asked of JCTools' `MpmcArrayQueue`, the fastest non-blocking "
                + "queue measured, from the same forks as the rows above (host states as there). It judges nothing: "
                + "where the ceiling itself stays under 3× in a host state, no non-blocking queue could meet those "
                + "targets in that state, and Conduit's rounds in it measure the host more than the queue.");
        line("");
        line("| threads | paired ratio, median | range | rounds at 3× | near: median (rounds) | far: median (rounds) "
                + "| mixed: median (rounds) |");
        line("|---|---:|---:|---:|---:|---:|---:|");
        for (PairedRatio p : ceilings) {
            if (p.rounds().isEmpty()) {
                continue;
            }
            line("| " + p.comparison().scenario().shortName + " | "
                    + p.median().map(InprocReport::ratio).orElse("–") + (p.verdictOnMatched() ? "" : " (all)")
                    + " | " + range(p) + " | " + p.roundsMet() + " of " + p.verdictRounds().size() + " | "
                    + inState(p, PairedRatio.State.NEAR) + " | " + inState(p, PairedRatio.State.FAR) + " | "
                    + inState(p, PairedRatio.State.MIXED) + " |");
        }
        line("");
    }

    private void throughputTables() {
        line("### Throughput: non-blocking offer/poll");
        line("");
        image(LOCAL_CHART);
        image(PRIORITY_CHART);
        line("With a `Thread.yield()` after a failed attempt:");
        line("");
        throughputTable(Scenario.THROUGHPUT_1X1, Scenario.THROUGHPUT_4X4, ALL);
        line("Without back-off (a failed attempt is retried at once):");
        line("");
        throughputTable(Scenario.SPIN_1X1, Scenario.SPIN_4X4, ALL);
        line("`priority` against its own reference, PriorityBlockingQueue: 1P/1C "
                + versus(Scenario.THROUGHPUT_1X1, Contender.PRIORITY, Contender.PRIORITY_BLOCKING_QUEUE) + " and 4P/4C "
                + versus(Scenario.THROUGHPUT_4X4, Contender.PRIORITY, Contender.PRIORITY_BLOCKING_QUEUE)
                + " with yield; 1P/1C " + versus(Scenario.SPIN_1X1, Contender.PRIORITY,
                        Contender.PRIORITY_BLOCKING_QUEUE) + " and 4P/4C "
                + versus(Scenario.SPIN_4X4, Contender.PRIORITY, Contender.PRIORITY_BLOCKING_QUEUE)
                + " without back-off.");
        line("");
    }

    private void blockingTable() {
        line("### Throughput: blocking put/take");
        line("");
        image(BLOCKING_CHART);
        throughputTable(Scenario.BLOCKING_1X1, Scenario.BLOCKING_4X4, BLOCKING);
        line("`priority` against PriorityBlockingQueue: 1P/1C " + versus(Scenario.BLOCKING_1X1, Contender.PRIORITY,
                Contender.PRIORITY_BLOCKING_QUEUE) + ", 4P/4C "
                + versus(Scenario.BLOCKING_4X4, Contender.PRIORITY, Contender.PRIORITY_BLOCKING_QUEUE) + ".");
        line("");
    }

    private void throughputTable(Scenario one, Scenario four, List<Contender> contenders) {
        line("| queue | 1P/1C (M items/s) | × ArrayBlockingQueue | × MpmcArrayQueue "
                + "| 4P/4C (M items/s) | × ArrayBlockingQueue | × MpmcArrayQueue |");
        line("|---|---:|---:|---:|---:|---:|---:|");
        for (Contender c : contenders) {
            line("| " + name(c) + " | " + scoreWithError(one, c) + " | "
                    + versus(one, c, Contender.ARRAY_BLOCKING_QUEUE) + " | "
                    + versus(one, c, Contender.MPMC_ARRAY_QUEUE) + " | "
                    + scoreWithError(four, c) + " | "
                    + versus(four, c, Contender.ARRAY_BLOCKING_QUEUE) + " | "
                    + versus(four, c, Contender.MPMC_ARRAY_QUEUE) + " |");
        }
        line("");
    }

    private void latencyTables() {
        line("### Latency: put→get");
        line("");
        image(HAND_OFF_CHART);
        image(ROUND_TRIP_CHART);
        line("| queue | one thread, put+get (ns) | × ArrayBlockingQueue | round trip median (µs) | p90 (µs) "
                + "| p99 (µs) | mean (µs) |");
        line("|---|---:|---:|---:|---:|---:|---:|");
        for (Contender c : ALL) {
            Optional<Figure> rt = figures.get(Scenario.ROUND_TRIP, c);
            line("| " + name(c) + " | " + scoreWithError(Scenario.HAND_OFF, c) + " | "
                    + versus(Scenario.HAND_OFF, c, Contender.ARRAY_BLOCKING_QUEUE) + " | "
                    + rt.map(f -> number(f.p50())).orElse("–") + " | "
                    + rt.map(f -> number(f.p90())).orElse("–") + " | "
                    + rt.map(f -> number(f.p99())).orElse("–") + " | "
                    + rt.map(f -> number(f.score())).orElse("–") + " |");
        }
        line("");
        line("\"× ArrayBlockingQueue\" for a time is ArrayBlockingQueue's time divided by the queue's: above 1 is "
                + "faster. A round trip is two put→get hand-offs across threads; `MpmcArrayQueue` spins instead of "
                + "sleeping, the others wait as their blocking calls do (`local`, `local-view` and `priority` spin briefly, "
                + "then park).");
        line("");
    }

    private void method() {
        line("### How it is measured");
        line("");
        line("- JMH " + settings.jmhVersion() + ", " + settings.describe() + ". Queue capacity 1024; items are one "
                + "cached `Integer`, so nothing is allocated by the benchmark itself.");
        line("- Throughput (`ThroughputBenchmark`): a JMH group of producer threads calling `offer` and consumer "
                + "threads calling `poll` in a loop, counting failed attempts as JCTools' benchmarks do; the same "
                + "loop for every queue. The figure is the consumers' rate of items actually taken (`pollsMade`), "
                + "counted inside JMH's measured window only. Two loops: `yield` calls `Thread.yield()` after a "
                + "failed attempt (JCTools' `QueueThroughputYield`), `none` retries at once (JCTools' "
                + "`QueueThroughputBackoffNone`). With more threads than cores (and on a shared machine, even at "
                + "1P/1C) the `none` loop mostly measures the scheduler: a producer fills the queue within "
                + "microseconds, then spins out its time slice on a full queue while the consumer waits for a core. "
                + "The targets are judged on both loops.");
        line("- `local` and `priority` are opened with `QueueDescriptor.local(…)`/`priority(…).withCapacity(1024)"
                + ".open()` and used through `MessageQueue` (`offer`, `poll`, `put(item, timeout)`, "
                + "`get(timeout)`): the product as users get it.");
        line("- `local-view` is the same `local` queue used through `asBlockingQueue()` (`offer`, `poll`, and the "
                + "timed `offer`/`poll` as put and take): its `poll()` returns the item or null, where "
                + "`MessageQueue.poll()` returns an `Optional` that C2 on JDK 17 allocates per call. It has "
                + "`local`'s targets as rows of its own; the `local` rows are the verdict on the contract's calls.");
        line("- `MpmcArrayQueue` is JCTools' queue used raw (non-blocking `offer`/`poll`; it spins where the latency "
                + "benchmark must wait). `PriorityBlockingQueue` does the same job as `priority`: bounded to 1024 by a "
                + "semaphore and FIFO among equal priorities by a sequence number; every item of both is at the "
                + "default priority.");
        line("- Blocking throughput (`BlockingThroughputBenchmark`): Conduit's `put`/`get` against each blocking "
                + "queue's own `put`/`take`, in their timed forms (100 ms) so that a thread left waiting when an "
                + "iteration ends returns.");
        line("- Latency (`LatencyBenchmark`): `handOff` puts then takes on one thread (average time); "
                + "`roundTrip` is a ping-pong over two queues between two threads (sampled: median, p90, p99, mean).");
        line("- Raw JMH output: run with `--json FILE` for every secondary counter (failed offers and polls).");
    }

    private void image(BenchmarkCharts.Chart chart) {
        line("![" + chart.title() + "](" + IMAGE_DIR + "/" + chart.fileName() + ")");
        line("");
    }

    private String versus(Scenario s, Contender c, Contender reference) {
        Optional<Figure> a = figures.get(s, c);
        Optional<Figure> b = figures.get(s, reference);
        if (a.isEmpty() || b.isEmpty()) {
            return "–";
        }
        return ratio(Figures.advantage(a.get(), b.get()));
    }

    private static String range(PairedRatio p) {
        return p.rounds().isEmpty() ? "–" : ratio(p.min()) + "–" + ratio(p.max());
    }

    private static String inState(PairedRatio p, PairedRatio.State state) {
        return p.medianInState(state).map(m -> ratio(m) + " (" + p.inState(state).size() + ")").orElse("–");
    }

    /** @return every floor sampled in the run, before and after each fork */
    private java.util.stream.DoubleStream floors() {
        return forks.stream()
                .flatMapToDouble(f -> java.util.stream.DoubleStream.of(f.floorNanos(), f.floorAfterNanos()))
                .filter(x -> !Double.isNaN(x));
    }

    private String floorRange() {
        double lo = floors().min().orElse(Double.NaN);
        double hi = floors().max().orElse(Double.NaN);
        return "floors of " + number(lo) + " to " + number(hi) + " ns, base "
                + number(PairedRatio.baseFloorNanos(forks)) + " ns";
    }

    private String score(Scenario s, Contender c) {
        return figures.get(s, c).map(f -> number(f.score())).orElse("-");
    }

    private String scoreWithError(Scenario s, Contender c) {
        return figures.get(s, c).map(f -> number(f.score())
                + (Double.isNaN(f.error()) ? "" : " ± " + number(f.error()))).orElse("–");
    }

    private static String name(Contender c) {
        return c.isConduit() ? "**`" + c.label() + "`** (Conduit)" : c.label();
    }

    private static String ratio(double x) {
        return String.format(Locale.ROOT, "%.2f×", x);
    }

    static String number(double x) {
        if (Double.isNaN(x)) {
            return "–";
        }
        double abs = Math.abs(x);
        String pattern = abs >= 100 ? "%.0f" : abs >= 10 ? "%.1f" : abs >= 1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, pattern, x);
    }

    private void line(String s) {
        out.append(s).append('\n');
    }
}
