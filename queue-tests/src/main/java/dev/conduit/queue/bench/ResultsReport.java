package dev.conduit.queue.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns benchmark results files ({@link BenchResults}, written by the shm, rpc and ray harnesses
 * and by the in-JVM report) into their sections of docs/benchmarks.md: for each file, the section
 * {@code <!-- section:NAME -->} gets a table (measure, Conduit, reference, ratio, target, met) and
 * the bar chart {@code img/bench-NAME.png} of Conduit beside each reference. Other sections are
 * left as they are.
 *
 * <p>Usage: {@code ResultsReport --results FILE [--results FILE]... [--docs DIR]}; {@code conduit
 * bench --results FILE} runs it. The in-JVM section is normally written by {@link BenchmarkReport}
 * itself, with more tables and charts; merging an {@code inproc} results file replaces that
 * section with the summary table of its targets.
 *
 * <p>Stateless; thread-safe apart from the files it writes.
 */
public final class ResultsReport {
    private ResultsReport() {
    }

    /**
     * Merges results files from the command line and exits with {@link #run}'s status.
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
     * Merges results files into the page.
     *
     * @param out where to say what was written, and errors
     * @param args see the class comment
     * @return 0 on success, 2 for a bad command line, 1 when a file cannot be read or the page
     *     cannot be written
     */
    public static int run(PrintStream out, String... args) {
        List<Path> files = new ArrayList<>();
        Path docs = Path.of("docs");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.println("Usage: ResultsReport --results FILE [--results FILE]... [--docs DIR]");
                    return 0;
                }
                case "--results", "--docs" -> {
                    if (i + 1 == args.length) {
                        out.println("bench: " + args[i] + " needs a value");
                        return 2;
                    }
                    if (args[i].equals("--docs")) {
                        docs = Path.of(args[++i]);
                    } else {
                        files.add(Path.of(args[++i]));
                    }
                }
                default -> {
                    out.println("bench: unknown option '" + args[i] + "' (try --help)");
                    return 2;
                }
            }
        }
        if (files.isEmpty()) {
            out.println("bench: give at least one --results FILE");
            return 2;
        }
        try {
            for (Path file : files) {
                BenchResults results = BenchResults.read(file);
                Path page = merge(results, docs);
                out.println("Wrote section '" + results.section() + "' of " + page + " from " + file);
            }
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            out.println("bench: " + e.getMessage());
            return 1;
        }
    }

    /** One measurement of a harness that yields its results. */
    @FunctionalInterface
    interface Measurement {
        /**
         * @return what the harness measured
         * @throws Exception if the measurement failed
         */
        BenchResults measure() throws Exception;
    }

    /**
     * Runs a harness's measurement and publishes what it found: the table on {@code out}, the
     * results file when one was asked for, and the docs section with its chart.
     *
     * @param out where the table and progress go
     * @param name the harness's name, for the failure message
     * @param measurement the measurement
     * @param docs the docs directory whose benchmarks.md gets the section, or null for none
     * @return the exit code: 0, or 1 when the measurement failed
     */
    static int publish(PrintStream out, String name, Measurement measurement, Path docs) {
        try {
            BenchResults results = measurement.measure();
            out.println();
            out.print(markdown(results, null));
            Path file = results.writeIfAsked();
            if (file != null) {
                out.println("Wrote the results file " + file);
            }
            if (docs != null) {
                out.println("Wrote " + merge(results, docs) + " and its chart");
            }
            return 0;
        } catch (Exception e) {
            out.println("bench: " + name + " benchmark failed: " + e.getMessage());
            e.printStackTrace(out);
            return 1;
        }
    }

    /**
     * Writes the section of {@code results} into docs/benchmarks.md and draws its chart.
     *
     * @param results the results
     * @param docs the directory of benchmarks.md and img/, created if needed
     * @return the page written
     * @throws IOException if the page or the chart cannot be written
     * @throws IllegalArgumentException if the page opens the section without closing it
     */
    public static Path merge(BenchResults results, Path docs) throws IOException {
        Files.createDirectories(docs);
        String image = InprocReport.IMAGE_DIR + "/bench-" + results.section() + ".png";
        boolean drawn = BenchmarkCharts.renderResults(results, docs.resolve(image));
        Path page = docs.resolve(BenchmarkReport.PAGE);
        String before = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : null;
        String after = MarkdownSections.merge(before, BenchmarkReport.PAGE_HEADER, results.section(),
                markdown(results, drawn ? image : null));
        Files.writeString(page, after, StandardCharsets.UTF_8);
        return page;
    }

    /**
     * The section's Markdown, without markers.
     *
     * @param results the results
     * @param image the chart's path relative to the page, or null when there is none
     * @return the Markdown
     */
    static String markdown(BenchResults results, String image) {
        StringBuilder s = new StringBuilder();
        s.append("## ").append(results.title()).append("\n\n");
        s.append("Measured ").append(results.when()).append(" with:\n\n```\n").append(results.command())
                .append("\n```\n\n");
        s.append("Machine: ").append(results.machine()).append(".\n\n");
        if (image != null) {
            s.append("![").append(results.title()).append(": Conduit beside each reference](").append(image)
                    .append(")\n\n");
        }
        s.append("| measure | Conduit | reference | ratio | target | met |\n");
        s.append("|---|---:|---|---:|---|---|\n");
        for (BenchResults.Row r : results.rows()) {
            s.append("| ").append(r.measure())
                    .append(" | ").append(InprocReport.number(r.conduit())).append(' ').append(r.unit())
                    .append(" | ").append(r.hasReference() ? r.referenceName() + ": "
                            + InprocReport.number(r.reference()) + " " + r.unit() : "–")
                    .append(" | ").append(r.ratio() == null ? "–" : ratio(r.ratio()))
                    .append(" | ").append(r.target() == null ? "–" : r.target())
                    .append(" | ").append(r.met() == null ? "–" : r.met() ? "**yes**" : "**no**")
                    .append(" |\n");
        }
        s.append("\nRatio: Conduit's figure divided by the reference's, measured in the same run; for times ")
                .append("(lower is better) a ratio under 1 is faster than the reference.\n");
        return s.toString();
    }

    /** Two decimals, three below 0.1 so that a small ratio does not read as zero. */
    private static String ratio(double x) {
        return String.format(Locale.ROOT, Math.abs(x) < 0.1 ? "%.3f×" : "%.2f×", x);
    }
}
