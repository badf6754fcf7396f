package dev.conduit.queue.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code conduit bench}: runs the in-JVM benchmark suite ({@code dev.conduit.queue.bench.BenchmarkReport}
 * from queue-tests, which this jar contains) and rewrites {@code docs/benchmarks.md} and its charts.
 *
 * <p>The report runs in a child JVM started from a private copy of this jar: JMH forks a JVM per
 * benchmark from the class path for up to twelve minutes, and a rebuild of
 * {@code queue-cli/target/conduit.jar} meanwhile would otherwise change the classes under the
 * running forks (scripts/bench.sh copies its class path for the same reason).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the in-JVM benchmarks and rewrite docs/benchmarks.md with its charts.",
            "JMH: local and priority beside ArrayBlockingQueue, LinkedBlockingQueue, MpmcArrayQueue and",
            "PriorityBlockingQueue. About 12 minutes; --quick is a smoke run of under two minutes."})
final class BenchCommand implements Callable<Integer> {
    private static final String REPORT_MAIN = "dev.conduit.queue.bench.BenchmarkReport";

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

    @Option(names = "--profiler", paramLabel = "NAME", description = "Add a JMH profiler (gc, stack, ...); repeatable.")
    List<String> profilers = new ArrayList<>();

    @Option(names = "--json-result", paramLabel = "FILE", description = "Also write JMH's JSON result to FILE.")
    Path jsonResult;

    @Override
    public Integer call() throws IOException, InterruptedException, URISyntaxException {
        if (!noDocs && !Files.isDirectory(docs)) {
            throw new IllegalArgumentException("no directory " + docs.toAbsolutePath() + " for benchmarks.md: run "
                    + "from the repository root, or pass --docs DIR or --no-docs");
        }
        List<String> args = reportArguments();
        Path workdir = Files.createTempDirectory("conduit-bench");
        Process child = null;
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-Djava.awt.headless=true");
            List<String> asTyped = new ArrayList<>(List.of("java", "-jar", "queue-cli/target/conduit.jar", "bench"));
            asTyped.addAll(userArguments());
            cmd.add("-Dconduit.bench.command=" + String.join(" ", asTyped));
            cmd.add("-cp");
            cmd.add(privateClassPath(workdir));
            cmd.add(REPORT_MAIN);
            cmd.addAll(args);
            child = new ProcessBuilder(cmd).inheritIO().start();
            int status = child.waitFor();
            return status == 0 ? Conduit.OK : status == 2 ? Conduit.USAGE : Conduit.FAILED;
        } finally {
            if (child != null) {
                child.destroyForcibly();
            }
            deleteTree(workdir);
        }
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
        for (String p : profilers) {
            a.add("--profiler");
            a.add(p);
        }
        return a;
    }

    private List<String> reportArguments() {
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
