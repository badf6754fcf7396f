package dev.conduit.queue.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The figures of one benchmark run, in the results file every harness writes (in-JVM, shm, rpc,
 * ray) and {@link ResultsReport} turns into a section of docs/benchmarks.md. One JSON object:
 * {@code section}, {@code title}, {@code command}, {@code machine}, {@code when} and
 * {@code rows}; see {@link Row}. Immutable; thread-safe.
 *
 * @param section the section of docs/benchmarks.md: one of {@link #SECTIONS}
 * @param title the section's heading
 * @param command the exact command that produced the figures
 * @param machine the machine and its load, measured at run time
 * @param when when the run ended, ISO-8601 UTC
 * @param rows the figures, in page order
 */
public record BenchResults(String section, String title, String command, String machine, String when,
        List<Row> rows) {
    /** The sections a results file may name. */
    public static final Set<String> SECTIONS = Set.of("inproc", "shm", "rpc", "ray");
    /** The system property naming the file a harness writes its results to. */
    public static final String RESULTS_PROPERTY = "conduit.bench.results";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException when the section is unknown, a text field is missing, or
     *     there are no rows
     */
    public BenchResults {
        if (section == null || !SECTIONS.contains(section)) {
            throw new IllegalArgumentException("section must be one of " + SECTIONS + ", not '" + section + "'");
        }
        requireText(title, "title");
        requireText(command, "command");
        requireText(machine, "machine");
        requireText(when, "when");
        if (rows == null || rows.isEmpty()) {
            throw new IllegalArgumentException("a results file needs at least one row");
        }
        rows = List.copyOf(rows);
    }

    /**
     * Results of a run that ends now.
     *
     * @param section the section
     * @param title its heading
     * @param command the command that produced them
     * @param machine the machine, with its load
     * @param rows the figures
     * @return the results, stamped with the current time
     * @throws IllegalArgumentException as the constructor
     */
    public static BenchResults now(String section, String title, String command, String machine, List<Row> rows) {
        return new BenchResults(section, title, command, machine,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), rows);
    }

    /**
     * Reads a results file.
     *
     * @param file the file
     * @return its results
     * @throws IOException if it cannot be read or is not a results file (the message says why)
     */
    public static BenchResults read(Path file) throws IOException {
        try {
            return JSON.readValue(file.toFile(), BenchResults.class);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            throw new IOException(file + " is not a benchmark results file: "
                    + cause.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * Writes these results as JSON, creating the parent directory.
     *
     * @param file the file, replaced if it exists
     * @throws IOException if it cannot be written
     */
    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        JSON.writeValue(file.toFile(), this);
    }

    /**
     * Writes these results to the file named by system property {@value #RESULTS_PROPERTY}, if set.
     *
     * @return the file written, or null when the property is not set
     * @throws IOException if it cannot be written
     */
    public Path writeIfAsked() throws IOException {
        String name = System.getProperty(RESULTS_PROPERTY);
        if (name == null || name.isBlank()) {
            return null;
        }
        Path file = Path.of(name);
        write(file);
        return file;
    }

    private static void requireText(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a results file needs '" + field + "'");
        }
    }

    /**
     * One measured figure beside its reference.
     *
     * @param measure what was measured
     * @param unit the unit of both values ({@code items/s}, {@code ns}, …)
     * @param conduit Conduit's value
     * @param reference the reference's value in the same run, or null when there is none
     * @param referenceName what the reference is, or null when there is none
     * @param higherIsBetter whether a higher value is better (throughput) or worse (latency)
     * @param ratio conduit / reference (whatever the direction), or null without a reference
     * @param target the target, as text, or null
     * @param met whether the target was reached, or null without a target
     */
    public record Row(String measure, String unit, double conduit, Double reference, String referenceName,
            boolean higherIsBetter, Double ratio, String target, Boolean met) {
        /**
         * Checks the fields.
         *
         * @throws IllegalArgumentException when the measure or unit is missing
         */
        public Row {
            requireText(measure, "measure");
            requireText(unit, "unit");
        }

        /**
         * A row whose ratio and verdict are computed from the figures.
         *
         * @param measure what was measured
         * @param unit the unit
         * @param conduit Conduit's value
         * @param reference the reference's value
         * @param referenceName what the reference is
         * @param higherIsBetter whether higher is better
         * @param targetRatio the ratio conduit/reference to reach (at least, when higher is better;
         *     at most otherwise), or null without a target
         * @return the row; {@code met} is null when there is no target or the ratio is not a number
         */
        public static Row measured(String measure, String unit, double conduit, double reference,
                String referenceName, boolean higherIsBetter, Double targetRatio) {
            double ratio = conduit / reference;
            Boolean met = targetRatio == null || Double.isNaN(ratio) ? null
                    : higherIsBetter ? ratio >= targetRatio : ratio <= targetRatio;
            String target = targetRatio == null ? null
                    : (higherIsBetter ? "≥ " : "≤ ") + String.format(Locale.ROOT, "%.2f", targetRatio)
                            .replaceAll("0$", "") + "× the reference";
            return new Row(measure, unit, conduit, reference, Objects.requireNonNull(referenceName, "referenceName"),
                    higherIsBetter, ratio, target, met);
        }

        /** @return whether this row has a reference to draw beside Conduit */
        boolean hasReference() {
            return reference != null && referenceName != null;
        }
    }
}
