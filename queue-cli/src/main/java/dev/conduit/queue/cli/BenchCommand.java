package dev.conduit.queue.cli;

import dev.conduit.queue.bench.ResultsReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conduit bench}: runs a benchmark harness from queue-tests, which this jar contains, and
 * rewrites its section of {@code docs/benchmarks.md} and its charts: the in-JVM JMH suite
 * ({@code dev.conduit.queue.bench.BenchmarkReport}, the default), with {@code --shm} the
 * multi-process shm harness ({@code dev.conduit.queue.bench.ShmBench}), or with {@code --rpc} the
 * rpc harness ({@code dev.conduit.queue.bench.RpcBench}: a server and plain grpc-java on
 * loopback). With {@code --results} it runs nothing and merges results files written by other
 * harnesses (ray) into the page ({@code dev.conduit.queue.bench.ResultsReport}).
 *
 * <p>A harness runs in a child JVM started from a private copy of this jar: JMH forks a JVM per
 * benchmark from the class path for about twenty-five minutes (the shm harness starts producer and
 * consumer JVMs the same way), and a rebuild of {@code queue-cli/target/conduit.jar} meanwhile
 * would otherwise change the classes under the running forks (scripts/bench.sh copies its class
 * path for the same reason).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run benchmarks and rewrite their section of docs/benchmarks.md with its charts.",
            "Default: the in-JVM JMH suite, local (also as local-view, through asBlockingQueue()) and priority",
            "beside ArrayBlockingQueue, LinkedBlockingQueue, MpmcArrayQueue and PriorityBlockingQueue, in rounds",
            "of one fork each (--rounds, default 5); about 25 minutes, --quick is a smoke run of under two.",
            "--shm: the shm backend between two processes beside Chronicle Queue, Agrona and the hardware.",
            "--rpc: the rpc backend over loopback beside plain grpc-java; --quick is a run of seconds.",
            "--results FILE: run nothing, merge a results file (ray harness) into the page."})
final class BenchCommand implements Callable<Integer> {
    private static final String REPORT_MAIN = "dev.conduit.queue.bench.BenchmarkReport";
    private static final String SHM_MAIN = "dev.conduit.queue.bench.ShmBench";
    private static final String RPC_MAIN = "dev.conduit.queue.bench.RpcBench";

    @Spec
    CommandSpec spec;

    @Option(names = "--shm", description = "Run the multi-process shm benchmark instead of the in-JVM suite.")
    boolean shm;

    @Option(names = "--rpc", description = "Run the rpc benchmark (a server on loopback beside plain grpc-java) "
            + "instead of the in-JVM suite.")
    boolean rpc;

    @Option(names = "--results", paramLabel = "FILE", description = "Merge this results file into the page and "
            + "run nothing; repeatable.")
    List<Path> results = new ArrayList<>();

    @Option(names = "--write-results", paramLabel = "FILE",
            description = "Also write the run's figures as a results file (the format --results reads).")
    Path writeResults;

    @Option(names = "--quick", description = "A short smoke run for CI instead of the full measurement.")
    boolean quick;

    @Option(names = "--docs", paramLabel = "DIR", defaultValue = "docs",
            description = "Directory of benchmarks.md and img/ (default: ${DEFAULT-VALUE}, from the repository root).")
    Path docs;

    @Option(names = "--no-docs", description = "Print the verdicts only; leave the page alone.")
    boolean noDocs;

    @Option(names = "--include", paramLabel = "REGEX", description = "Run only the JMH benchmarks matching REGEX.")
    String include;

    @Option(names = "--param", paramLabel = "NAME=V,...",
            description = "Run only these values of a JMH parameter (impl, backoff, capacity); repeatable.")
    List<String> params = new ArrayList<>();

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds of one fork per JMH benchmark, the "
            + "contenders of a scenario back to back; each target is judged on the median of its rounds' paired "
            + "ratios (default: 5, 1 with --quick).")
    Integer rounds;

    @Option(names = "--repairs", paramLabel = "N", description = "Then, for a target with fewer than 3 rounds "
            + "measured in one host state, up to N repair rounds of its two forks (default: 3, 0 with --quick).")
    Integer repairs;

    @Option(names = "--profiler", paramLabel = "NAME", description = "Add a JMH profiler (gc, stack, ...); repeatable.")
    List<String> profilers = new ArrayList<>();

    @Option(names = "--json-result", paramLabel = "FILE", description = "Also write JMH's JSON result to FILE.")
    Path jsonResult;

    @Override
    public Integer call() throws IOException, InterruptedException, URISyntaxException {
        validate();
        if (!results.isEmpty()) {
            return mergeResults();
        }
        List<String> args = harnessArguments();
        Path workdir = Files.createTempDirectory("conduit-bench");
        Process child = null;
        Thread stopOnSignal = null;
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-Djava.awt.headless=true");
            List<String> asTyped = new ArrayList<>(List.of("java", "-jar", "queue-cli/target/conduit.jar", "bench"));
            if (shm) {
                asTyped.add("--shm");
            } else if (rpc) {
                asTyped.add("--rpc");
            }
            asTyped.addAll(userArguments());
            cmd.add("-Dconduit.bench.command=" + String.join(" ", asTyped));
            if (writeResults != null) {
                cmd.add("-Dconduit.bench.results=" + writeResults.toAbsolutePath());
            }
            cmd.add("-cp");
            cmd.add(privateClassPath(workdir));
            cmd.add(shm ? SHM_MAIN : rpc ? RPC_MAIN : REPORT_MAIN);
            cmd.addAll(args);
            child = new ProcessBuilder(cmd).inheritIO().start();
            Process harness = child;
            // SIGINT or SIGTERM: stop the harness too (it would run on for minutes) and remove the
            // private jar; the finally below does not run when the JVM exits on a signal.
            stopOnSignal = new Thread(() -> {
                stop(harness);
                deleteTreeQuietly(workdir);
            }, "conduit-bench-stop");
            Runtime.getRuntime().addShutdownHook(stopOnSignal);
            int status = child.waitFor();
            return status == 0 ? Conduit.OK : status == 2 ? Conduit.USAGE : Conduit.FAILED;
        } finally {
            boolean shuttingDown = false;
            if (stopOnSignal != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopOnSignal);
                } catch (IllegalStateException e) {
                    shuttingDown = true; // the hook stops the harness and removes the directory
                }
            }
            if (!shuttingDown) {
                if (child != null) {
                    child.destroyForcibly();
                }
                deleteTree(workdir);
            }
        }
    }

    /** Asks the harness to stop (SIGTERM, so that it stops its own forks), then kills it. */
    private static void stop(Process harness) {
        harness.destroy();
        try {
            if (!harness.waitFor(10, TimeUnit.SECONDS)) {
                harness.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTreeQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException | UncheckedIOException e) {
            System.err.println("conduit: could not remove " + dir + ": " + e.getMessage());
        }
    }

    private void validate() {
        if (!results.isEmpty() && (shm || rpc || quick || include != null || !params.isEmpty() || !profilers.isEmpty()
                || jsonResult != null || writeResults != null || noDocs || rounds != null || repairs != null)) {
            throw new IllegalArgumentException("--results merges files and runs nothing: it goes with --docs only");
        }
        if (rounds != null && rounds < 1) {
            throw new IllegalArgumentException("--rounds wants a whole number of at least 1, not " + rounds);
        }
        if (repairs != null && repairs < 0) {
            throw new IllegalArgumentException("--repairs wants a whole number of at least 0, not " + repairs);
        }
        if (shm && rpc) {
            throw new IllegalArgumentException("--shm and --rpc are two runs: pick one");
        }
        if ((shm || rpc) && (include != null || !params.isEmpty() || !profilers.isEmpty() || jsonResult != null
                || rounds != null || repairs != null)) {
            throw new IllegalArgumentException("--include, --param, --rounds, --repairs, --profiler and --json-result are "
                    + "for the JMH suite, not " + (shm ? "--shm" : "--rpc"));
        }
        if (!noDocs && !Files.isDirectory(docs)) {
            throw new IllegalArgumentException("no directory " + docs.toAbsolutePath() + " for benchmarks.md: run "
                    + "from the repository root, or pass --docs DIR or --no-docs");
        }
        for (Path file : results) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no results file " + file.toAbsolutePath());
            }
        }
    }

    /** Runs the report writer in this JVM: it draws one chart and writes text, no benchmark runs. */
    private int mergeResults() {
        List<String> args = new ArrayList<>();
        for (Path file : results) {
            args.add("--results");
            args.add(file.toString());
        }
        args.add("--docs");
        args.add(docs.toString());
        PrintWriter out = spec.commandLine().getOut();
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        int status = ResultsReport.run(new PrintStream(report, true, StandardCharsets.UTF_8),
                args.toArray(String[]::new));
        String text = report.toString(StandardCharsets.UTF_8).strip();
        if (status != 0) {
            throw new IllegalStateException(text.startsWith("bench: ") ? text.substring(7) : text);
        }
        out.println(text);
        out.flush();
        return Conduit.OK;
    }

    private List<String> userArguments() {
        List<String> a = new ArrayList<>();
        if (quick) {
            a.add("--quick");
        }
        if (include != null) {
            a.add("--include");
            a.add(include);
        }
        for (String p : params) {
            a.add("--param");
            a.add(p);
        }
        if (rounds != null) {
            a.add("--rounds");
            a.add(Integer.toString(rounds));
        }
        if (repairs != null) {
            a.add("--repairs");
            a.add(Integer.toString(repairs));
        }
        for (String p : profilers) {
            a.add("--profiler");
            a.add(p);
        }
        return a;
    }

    /** @return the harness's arguments: the user's, where the page is, and the JMH JSON file (JMH only) */
    private List<String> harnessArguments() {
        List<String> a = userArguments();
        if (noDocs) {
            a.add("--no-docs");
        } else {
            a.add("--docs");
            a.add(docs.toAbsolutePath().toString());
        }
        if (jsonResult != null) {
            a.add("--json");
            a.add(jsonResult.toAbsolutePath().toString());
        }
        return a;
    }

    /** This jar copied into {@code workdir}; or, when not run from a jar, the class path as it is. */
    private static String privateClassPath(Path workdir) throws IOException, URISyntaxException {
        Path self = Path.of(Conduit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(self)) {
            return System.getProperty("java.class.path");
        }
        Path copy = workdir.resolve("conduit.jar");
        Files.copy(self, copy);
        return copy.toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
