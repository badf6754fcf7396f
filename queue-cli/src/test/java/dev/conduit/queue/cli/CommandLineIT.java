package dev.conduit.queue.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command line's manners, as a user meets them: help, bad arguments (exit 2, one line, no
 * stack trace), {@code --verbose} (the stack trace), and {@code conduit bench}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CommandLineIT {
    @TempDir
    Path dir;

    @Test
    void helpListsEverySubcommandAndTheExitCodes() {
        ConduitProcess.Result r = ConduitProcess.run("--help");
        assertEquals(0, r.exit(), r::toString);
        for (String command : new String[] {"demo", "serve", "ls", "stat", "peek", "put", "get", "clear", "destroy",
            "bench"}) {
            assertTrue(r.out().contains("  " + command + " "), () -> command + " missing from " + r);
        }
        assertTrue(r.out().contains("Exit codes:"), r::toString);
        assertTrue(!r.out().contains("demo-worker"), "the hidden worker command is listed: " + r);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nonsense", "put --dir DIR", "get --count --dir DIR", "demo --items many",
        "get q --timeout soon --dir DIR", "ls --server nohost", "ls --server host:99999", "stat q --token t --dir DIR",
        "put q x --priority 300 --dir DIR", "ls --dir DIR --server host:1", "bench --frobnicate", "serve --port -1"})
    void badArgumentsExitTwoWithOneLineAndNoStackTrace(String args) {
        ConduitProcess.Result r = ConduitProcess.run(withDir(args.split(" ")));
        assertEquals(2, r.exit(), r::toString);
        r.assertOneLineError();
    }

    @Test
    void verboseShowsTheStackTraceOfAnError() {
        ConduitProcess.Result quiet = ConduitProcess.run(withDir("stat", "missing", "--dir", "DIR"));
        assertEquals(3, quiet.exit(), quiet::toString);
        quiet.assertOneLineError();
        ConduitProcess.Result verbose = ConduitProcess.run(withDir("stat", "missing", "--verbose", "--dir", "DIR"));
        assertEquals(3, verbose.exit(), verbose::toString);
        assertTrue(verbose.stderr().startsWith("conduit: no queue 'missing'"), verbose::toString);
        assertTrue(verbose.stderr().contains("\tat dev.conduit.queue.cli."), verbose::toString);
    }

    @Test
    void benchWithoutADocsDirectoryIsABadArgument() {
        ConduitProcess.Result r = ConduitProcess.run("bench", "--quick", "--docs", dir.resolve("nowhere").toString());
        assertEquals(2, r.exit(), r::toString);
        r.assertOneLineError();
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void benchRunsOneBenchmarkQuicklyAndPrintsTheVerdictTable() {
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(280), null, "bench", "--quick", "--include",
                "LatencyBenchmark", "--param", "impl=local", "--no-docs");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("LatencyBenchmark.roundTrip"), r::toString);
        assertTrue(r.out().contains("Conduit in-JVM targets (quick run"), r::toString);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aTargetWithTooFewRoundsInOneHostStateGetsRepairRoundsOfItsTwoForks() {
        // One round cannot give the 3 matched rounds a verdict wants, so the one target measured here
        // (local against ArrayBlockingQueue at 1P/1C with yield) gets both of its repairs, and no
        // target whose contenders did not run gets any.
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(280), null, "bench", "--quick", "--include",
                "\\.ThroughputBenchmark\\.oneToOne", "--param", "impl=local,ArrayBlockingQueue", "--repairs", "2",
                "--no-docs");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("repair 1 of local vs ArrayBlockingQueue, 1P/1C, yield"), r::toString);
        assertTrue(r.out().contains("repair 2 of local vs ArrayBlockingQueue, 1P/1C, yield"), r::toString);
        assertFalse(r.out().contains("repair 3 of"), r::toString);
        assertFalse(r.out().contains("vs MpmcArrayQueue, 1P/1C, yield ("), r::toString);
        for (int round = 2; round <= 3; round++) {
            String prefix = "round " + round + " ";
            for (String impl : new String[] {"local", "ArrayBlockingQueue"}) {
                assertTrue(r.out().lines().anyMatch(line -> line.startsWith(prefix)
                        && line.contains(" ThroughputBenchmark.oneToOne ") && line.contains("impl=" + impl + ":")),
                        () -> prefix + impl + " missing: " + r);
            }
        }
        // The verdict line counts the first round and both repairs.
        assertTrue(r.out().lines().anyMatch(line -> line.startsWith("local vs ArrayBlockingQueue, 1P/1C, yield:")
                && line.split("×").length - 1 == 3), r::toString);
    }

    /** The arguments with the word DIR replaced by this test's private shm directory. */
    private String[] withDir(String... args) {
        return Arrays.stream(args).map(a -> a.equals("DIR") ? dir.toString() : a).toArray(String[]::new);
    }
}
