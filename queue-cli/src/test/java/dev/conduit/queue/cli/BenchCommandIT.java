package dev.conduit.queue.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conduit bench --results} (merging a harness's results file into docs/benchmarks.md),
 * {@code conduit bench --shm} (the multi-process shm harness, run from the jar) and
 * {@code conduit bench --rpc} (a server and plain grpc-java on loopback, run from the jar), each as
 * {@code java -jar conduit.jar} against a private docs directory.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BenchCommandIT {
    private static final String OTHER_SECTION = """
            # Benchmarks

            <!-- section:inproc -->
            ## In-JVM, written by another harness
            <!-- /section:inproc -->
            """;

    private static final String RPC_RESULTS = """
            {
              "section": "rpc",
              "title": "queue-rpc over loopback",
              "command": "scripts/rpc-bench.sh",
              "machine": "2 cores, load average 0.4 at start",
              "when": "2026-11-23T19:40:00Z",
              "rows": [
                {"measure": "put->get throughput, batches of 100 x 64 B", "unit": "items/s", "conduit": 215838.5,
                 "reference": 1034412.1, "referenceName": "plain grpc-java bidirectional stream",
                 "higherIsBetter": true, "ratio": 0.21, "target": ">= 0.8x the reference", "met": false},
                {"measure": "unary put latency, median", "unit": "us", "conduit": 120.0, "reference": 100.0,
                 "referenceName": "plain unary echo", "higherIsBetter": false, "ratio": 1.2,
                 "target": "<= 1.3x the reference", "met": true},
                {"measure": "queues hosted", "unit": "queues", "conduit": 10000, "reference": null,
                 "referenceName": null, "higherIsBetter": true, "ratio": null, "target": null, "met": null}
              ]
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aResultsFileBecomesItsSectionWithATableAndAChartAndLeavesTheOtherSections() throws IOException {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("benchmarks.md"), OTHER_SECTION);
        Path results = Files.writeString(dir.resolve("rpc.json"), RPC_RESULTS);

        for (int run = 0; run < 2; run++) {
            ConduitProcess.Result r = ConduitProcess.run("bench", "--results", results.toString(), "--docs",
                    docs.toString());
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.out().contains("Wrote section 'rpc'"), r::toString);
        }
        String page = Files.readString(docs.resolve("benchmarks.md"), StandardCharsets.UTF_8);
        assertTrue(page.contains("## In-JVM, written by another harness"), page);
        assertEquals(1, page.split("<!-- section:rpc -->", -1).length - 1, () -> "section written twice: " + page);
        assertTrue(page.contains("## queue-rpc over loopback"), page);
        assertTrue(page.contains("scripts/rpc-bench.sh"), page);
        assertTrue(page.contains("| put->get throughput, batches of 100 x 64 B | 215839 items/s "
                + "| plain grpc-java bidirectional stream: 1034412 items/s | 0.21× | >= 0.8x the reference | **no** |"),
                page);
        assertTrue(page.contains("| unary put latency, median | 120 us | plain unary echo: 100 us | 1.20× "
                + "| <= 1.3x the reference | **yes** |"), page);
        assertTrue(page.contains("| queues hosted | 10000 queues | – | – | – | – |"), page);
        assertTrue(page.contains("(img/bench-rpc.png)"), page);
        BufferedImage chart = ImageIO.read(docs.resolve("img/bench-rpc.png").toFile());
        assertNotNull(chart, "not a PNG");
        assertTrue(chart.getWidth() > 400 && chart.getHeight() > 200, () -> chart.getWidth() + "x" + chart.getHeight());
    }

    @Test
    void aFileThatIsNotAResultsFileFailsWithOneLineAndLeavesThePageAlone() throws IOException {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("benchmarks.md"), OTHER_SECTION);
        Path wrong = Files.writeString(dir.resolve("wrong.json"), "{\"section\": \"elsewhere\", \"rows\": []}");
        ConduitProcess.Result r = ConduitProcess.run("bench", "--results", wrong.toString(), "--docs", docs.toString());
        assertEquals(1, r.exit(), r::toString);
        r.assertOneLineError();
        assertTrue(r.stderr().contains("section must be one of"), r::toString);
        assertEquals(OTHER_SECTION, Files.readString(docs.resolve("benchmarks.md"), StandardCharsets.UTF_8));

        ConduitProcess.Result missing = ConduitProcess.run("bench", "--results", dir.resolve("none.json").toString(),
                "--docs", docs.toString());
        assertEquals(2, missing.exit(), missing::toString);
        missing.assertOneLineError();
        ConduitProcess.Result mixed = ConduitProcess.run("bench", "--results", wrong.toString(), "--shm", "--docs",
                docs.toString());
        assertEquals(2, mixed.exit(), mixed::toString);
        mixed.assertOneLineError();
        ConduitProcess.Result both = ConduitProcess.run("bench", "--shm", "--rpc", "--no-docs");
        assertEquals(2, both.exit(), both::toString);
        both.assertOneLineError();
        ConduitProcess.Result noRounds = ConduitProcess.run("bench", "--rounds", "0", "--no-docs");
        assertEquals(2, noRounds.exit(), noRounds::toString);
        noRounds.assertOneLineError();
        assertTrue(noRounds.stderr().contains("--rounds wants a whole number of at least 1"), noRounds::toString);
        ConduitProcess.Result shmRounds = ConduitProcess.run("bench", "--shm", "--rounds", "2", "--no-docs");
        assertEquals(2, shmRounds.exit(), shmRounds::toString);
        shmRounds.assertOneLineError();
        assertTrue(shmRounds.stderr().contains("for the JMH suite"), shmRounds::toString);
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void theShmHarnessRunsFromTheJarAndWritesItsResultsAndSection() throws IOException {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("benchmarks.md"), OTHER_SECTION);
        Path results = dir.resolve("shm.json");
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(570), null, "bench", "--shm", "--quick",
                "--docs", docs.toString(), "--write-results", results.toString());
        assertEquals(0, r.exit(), r::toString);

        JsonNode json = ConduitProcess.JSON.readTree(results.toFile());
        assertEquals("shm", json.get("section").asText());
        assertEquals("java -jar queue-cli/target/conduit.jar bench --shm --quick", json.get("command").asText());
        assertTrue(json.get("rows").size() >= 6, json::toString);
        for (JsonNode row : json.get("rows")) {
            assertTrue(row.get("conduit").asDouble() > 0, () -> "no figure: " + row);
            assertTrue(row.get("reference").asDouble() > 0, () -> "no reference figure: " + row);
            assertEquals(row.get("conduit").asDouble() / row.get("reference").asDouble(), row.get("ratio").asDouble(),
                    1e-9, row::toString);
        }
        assertFalse(json.get("rows").get(0).get("met").isNull(), json::toString);
        String page = Files.readString(docs.resolve("benchmarks.md"), StandardCharsets.UTF_8);
        assertTrue(page.contains("<!-- section:shm -->") && page.contains("## In-JVM, written by another harness"),
                page);
        assertTrue(page.contains("Agrona OneToOneRingBuffer"), page);
        assertNotNull(ImageIO.read(docs.resolve("img/bench-shm.png").toFile()), "not a PNG");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void theRpcHarnessRunsFromTheJarAndWritesItsResultsAndSection() throws IOException {
        Path docs = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(docs.resolve("benchmarks.md"), OTHER_SECTION);
        Path results = dir.resolve("rpc.json");
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(150), null, "bench", "--rpc", "--quick",
                "--docs", docs.toString(), "--write-results", results.toString());
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("## queue-rpc over loopback") && r.out().contains("Wrote the results file"),
                r::toString);

        JsonNode json = ConduitProcess.JSON.readTree(results.toFile());
        assertEquals("rpc", json.get("section").asText());
        assertEquals("java -jar queue-cli/target/conduit.jar bench --rpc --quick", json.get("command").asText());
        assertEquals(6, json.get("rows").size(), json::toString); // single items; batches of 100 with getBatch(1000), getBatch(100), getBatch(100)+prefetch; unary p50, p99
        for (JsonNode row : json.get("rows")) {
            assertTrue(row.get("conduit").asDouble() > 0, () -> "no figure: " + row);
            assertTrue(row.get("reference").asDouble() > 0, () -> "no reference figure: " + row);
            assertEquals(row.get("conduit").asDouble() / row.get("reference").asDouble(), row.get("ratio").asDouble(),
                    0.005 + 1e-9, row::toString);
        }
        assertTrue(json.get("rows").get(0).get("referenceName").asText().contains("grpc-java"), json::toString);
        assertFalse(json.get("rows").get(1).get("met").isNull(), json::toString);
        assertFalse(json.get("rows").get(3).get("met").isNull(), json::toString);
        String page = Files.readString(docs.resolve("benchmarks.md"), StandardCharsets.UTF_8);
        assertTrue(page.contains("<!-- section:rpc -->") && page.contains("## In-JVM, written by another harness"),
                page);
        assertTrue(page.contains("unary put round trip p50"), page);
        assertNotNull(ImageIO.read(docs.resolve("img/bench-rpc.png").toFile()), "not a PNG");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void sigtermStopsTheHarnessProcessAndRemovesItsPrivateCopyOfTheJar() throws Exception {
        Path log = dir.resolve("bench.log");
        Process bench = ConduitProcess.start(log, "bench", "--rpc", "--no-docs");
        ProcessHandle harness = null;
        try {
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(log).contains("rpc benchmark:")) {
                assertTrue(bench.isAlive(), () -> "bench ended early: " + readQuietly(log));
                assertTrue(System.nanoTime() < giveUp, () -> "the harness said nothing within 120 s: "
                        + readQuietly(log));
                Thread.sleep(50);
            }
            harness = bench.children().findFirst().orElseThrow(() -> new AssertionError("no harness process"));
            List<String> args = List.of(harness.info().arguments().orElseThrow());
            Path privateJar = Path.of(args.get(args.indexOf("-cp") + 1));
            assertTrue(Files.isRegularFile(privateJar), privateJar::toString);
            bench.destroy();
            assertTrue(bench.waitFor(30, TimeUnit.SECONDS), () -> "bench did not stop on SIGTERM: "
                    + readQuietly(log));
            try {
                harness.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the harness process outlived bench stopped by SIGTERM", e);
            }
            assertFalse(Files.exists(privateJar.getParent()), () -> "left behind: " + privateJar.getParent());
        } finally {
            ConduitProcess.kill(bench);
            if (harness != null) {
                harness.destroyForcibly();
            }
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
