package dev.conduit.queue.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code conduit demo} run as a process on every backend that needs nothing installed: every item
 * must arrive exactly once, and the summary must say so in text and in JSON. Item counts are small
 * (system property {@code conduit.cli.demoItems} scales them); the full-size run is the
 * command's own default, exercised by hand and in docs/cli.md.
 */
class DemoCommandIT {
    private static final int ITEMS = Integer.getInteger("conduit.cli.demoItems", 20_000);

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"local, 1", "priority, 1", "shm, 1", "rpc, 4"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void demoDeliversEveryItemExactlyOnceAndReportsItAsJson(String backend, int divisor) {
        int items = ITEMS / divisor;
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(220), null, "demo", "--backend", backend,
                "--items", Integer.toString(items), "--json");
        assertEquals(0, r.exit(), r::toString);
        JsonNode summary = r.json();
        assertEquals(backend, summary.get("backend").asText(), r::toString);
        assertEquals(items, summary.get("items").asLong(), r::toString);
        assertEquals(items, summary.get("received").asLong(), r::toString);
        assertEquals(0, summary.get("lost").asLong(), r::toString);
        assertEquals(0, summary.get("duplicated").asLong(), r::toString);
        assertTrue(summary.get("ok").asBoolean(), r::toString);
        assertTrue(summary.get("itemsPerSecond").asDouble() > 0, r::toString);
        assertTrue(summary.get("latencyMicros").get("p99").asDouble() >= summary.get("latencyMicros").get("p50")
                .asDouble(), r::toString);
        assertEquals(backend, summary.get("queue").get("type").asText(), r::toString);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void demoOnShmPrintsProgressAndATextSummaryWithProcesses() {
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(220), null, "demo", "--items",
                Integer.toString(ITEMS));
        assertEquals(0, r.exit(), r::toString);
        String out = r.out();
        assertTrue(out.contains("backend shm, 1 producer and 2 consumer processes"), r::toString);
        assertTrue(out.contains("got "), r::toString);
        assertTrue(out.contains(String.format("items       %,d sent, %,d received", ITEMS, ITEMS)), r::toString);
        assertTrue(out.contains("lost        0   duplicated 0"), r::toString);
        assertTrue(out.contains("OK: every item was delivered exactly once."), r::toString);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rayDemoWithoutAClusterSaysWhatToRunAndExitsThree() {
        ConduitProcess.Result r = ConduitProcess.run("demo", "--backend", "ray");
        assertEquals(3, r.exit(), r::toString);
        r.assertOneLineError();
        assertTrue(r.stderr().contains("scripts/ray-cluster.sh up"), r::toString);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unknownBackendIsABadArgument() {
        ConduitProcess.Result r = ConduitProcess.run("demo", "--backend", "carrier-pigeon");
        assertEquals(2, r.exit(), r::toString);
        r.assertOneLineError();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void sigtermStopsTheShmDemoWithItsWorkerProcessesAndRemovesItsQueueFile() throws Exception {
        Path log = tmp.resolve("demo.log");
        Process demo = ConduitProcess.start(log, "demo", "--items", Long.toString(DemoCommand.MAX_ITEMS));
        List<ProcessHandle> workers = List.of();
        try {
            awaitProgress(demo, log);
            workers = demo.descendants().toList();
            assertTrue(workers.size() >= 3, () -> "expected 3 worker processes, saw " + demo.descendants().count());
            demo.destroy();
            assertTrue(demo.waitFor(30, TimeUnit.SECONDS), () -> "the demo did not stop on SIGTERM: " + read(log));
            for (ProcessHandle w : workers) {
                w.onExit().get(15, TimeUnit.SECONDS);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("a demo worker process outlived the demo stopped by SIGTERM: " + read(log), e);
        } finally {
            ConduitProcess.kill(demo);
            workers.forEach(ProcessHandle::destroyForcibly);
        }
        ConduitProcess.Result ls = ConduitProcess.run("ls", "--namespace", "conduit-demo", "--json");
        assertEquals(0, ls.exit(), ls::toString);
        for (JsonNode row : ls.json()) {
            assertTrue(!row.get("id").asText().equals("demo-" + demo.pid()),
                    () -> "the demo stopped by SIGTERM left its queue behind: " + ls);
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void moreItemsThanAWorkerProcessCanTrackIsABadArgumentNotAnOutOfMemoryErrorLater() {
        // Each consumer process marks the sequences it saw in a BitSet within its 256 MiB heap;
        // 1,000,000,000 items ran out of it after half a billion items, with a stack trace.
        ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(30), null, "demo", "--items",
                "1000000000");
        assertEquals(2, r.exit(), r::toString);
        r.assertOneLineError();
        assertTrue(r.stderr().contains("--items"), r::toString);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aQueueTooLargeForTheHeapIsOneLineNotAStackTrace() {
        // a local ring of 2^24 slots needs 192 MiB or more (a long and a reference per slot)
        ConduitProcess.Result r = ConduitProcess.runWithJvmOptions(List.of("-Xmx64m"), "demo", "--backend", "local",
                "--capacity", Integer.toString(1 << 24), "--items", "10");
        assertEquals(1, r.exit(), r::toString);
        r.assertOneLineError();
        assertTrue(r.stderr().contains("out of memory"), r::toString);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void workerProcessesEndWhenTheDemoIsKilled() throws Exception {
        Path log = tmp.resolve("demo-killed.log");
        Process demo = ConduitProcess.start(log, "demo", "--items", Long.toString(DemoCommand.MAX_ITEMS));
        List<ProcessHandle> workers = List.of();
        List<Path> outs = new java.util.ArrayList<>();
        try {
            awaitProgress(demo, log);
            workers = demo.descendants().toList();
            assertTrue(workers.size() >= 3, () -> "expected 3 worker processes, saw " + demo.descendants().count());
            for (ProcessHandle w : workers) {
                List<String> args = List.of(w.info().arguments().orElse(new String[0]));
                if (args.contains("--out")) {
                    outs.add(Path.of(args.get(args.indexOf("--out") + 1)));
                }
            }
            demo.destroyForcibly();
            assertTrue(demo.waitFor(30, TimeUnit.SECONDS), "SIGKILL did not end the demo");
            // well before the workers could have finished all the items on their own
            for (ProcessHandle w : workers) {
                w.onExit().get(10, TimeUnit.SECONDS);
            }
            for (Path out : outs) {
                assertFalse(Files.exists(out), () -> "a consumer ran to the end instead of stopping: " + out);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("a demo worker process outlived the demo killed with SIGKILL", e);
        } finally {
            ConduitProcess.kill(demo);
            workers.forEach(ProcessHandle::destroyForcibly);
            // SIGKILL leaves the queue file (ls shows it stale) and the consumers' directory behind
            ConduitProcess.run("destroy", "demo-" + demo.pid(), "--namespace", "conduit-demo");
            for (Path out : outs) {
                Files.deleteIfExists(out);
            }
            for (Path out : outs) {
                Files.deleteIfExists(out.getParent());
            }
        }
    }

    private static void awaitProgress(Process demo, Path log) throws Exception {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (!Files.readString(log).contains(" got ")) {
            assertTrue(demo.isAlive(), () -> "the demo ended early: " + read(log));
            assertTrue(System.nanoTime() < giveUp, () -> "no progress within 150 s: " + read(log));
            Thread.sleep(50);
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
