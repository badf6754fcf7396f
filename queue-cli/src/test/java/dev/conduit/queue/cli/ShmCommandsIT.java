package dev.conduit.queue.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * ls, stat, peek, put, get, clear and destroy on shm queue files and durable journals, each run as {@code java -jar
 * conduit.jar} against a private directory; JSON output parsed with Jackson.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShmCommandsIT {
    @TempDir
    Path dir;

    private ConduitProcess.Result conduit(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--dir");
        all.add(dir.toString());
        return ConduitProcess.run(all.toArray(String[]::new));
    }

    private ConduitProcess.Result conduitWithInput(byte[] stdin, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--dir");
        all.add(dir.toString());
        return ConduitProcess.run(Duration.ofSeconds(60), stdin, all.toArray(String[]::new));
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void aQueueGoesThroughItsWholeLifeFromTheCommandLine() {
        ConduitProcess.Result empty = conduit("ls", "--json");
        assertEquals(0, empty.exit(), empty::toString);
        assertEquals(0, empty.json().size(), empty::toString);

        ConduitProcess.Result put = conduit("put", "jobs", "first", "second", "--namespace", "team", "--json");
        assertEquals(0, put.exit(), put::toString);
        assertEquals(2, put.json().get("put").asInt(), put::toString);
        ConduitProcess.Result piped = conduitWithInput("third\n".getBytes(StandardCharsets.UTF_8), "put", "jobs",
                "--namespace", "team");
        assertEquals(0, piped.exit(), piped::toString);
        assertTrue(piped.out().contains("put 1 item into shm:team/jobs (now 3 of 1024)"), piped::toString);

        ConduitProcess.Result ls = conduit("ls", "--json");
        assertEquals(0, ls.exit(), ls::toString);
        JsonNode row = ls.json().get(0);
        assertEquals("team", row.get("namespace").asText());
        assertEquals("jobs", row.get("id").asText());
        assertEquals(3, row.get("size").asInt());
        assertEquals(1024, row.get("capacity").asInt());
        ConduitProcess.Result lsText = conduit("ls");
        assertTrue(lsText.out().lines().anyMatch(l -> l.startsWith("team") && l.contains("jobs")), lsText::toString);

        ConduitProcess.Result stat = conduit("stat", "jobs", "--namespace", "team", "--json");
        assertEquals(0, stat.exit(), stat::toString);
        assertEquals(3, stat.json().get("metrics").get("size").asInt(), stat::toString);
        assertEquals(3, stat.json().get("metrics").get("puts").asInt(), stat::toString);
        assertEquals("shm:team/jobs", stat.json().get("queue").asText(), stat::toString);

        ConduitProcess.Result peek = conduit("peek", "jobs", "--namespace", "team");
        assertEquals(0, peek.exit(), peek::toString);
        assertEquals("first\n", peek.out());

        ConduitProcess.Result get = conduit("get", "jobs", "--namespace", "team", "-n", "10", "--json");
        assertEquals(0, get.exit(), get::toString);
        assertEquals(List.of("first", "second", "third"),
                ConduitProcess.JSON.convertValue(get.json().get("items"), List.class), get::toString);

        ConduitProcess.Result drained = conduit("get", "jobs", "--namespace", "team", "--timeout", "200ms");
        assertEquals(4, drained.exit(), drained::toString);
        drained.assertOneLineError();

        assertEquals(0, conduit("put", "jobs", "a", "b", "--namespace", "team").exit());
        ConduitProcess.Result clear = conduit("clear", "jobs", "--namespace", "team", "--json");
        assertEquals(0, clear.exit(), clear::toString);
        assertEquals(2, clear.json().get("cleared").asInt(), clear::toString);
        ConduitProcess.Result statAfter = conduit("stat", "jobs", "--namespace", "team", "--json");
        assertEquals(0, statAfter.json().get("metrics").get("size").asInt(), statAfter::toString);

        ConduitProcess.Result destroy = conduit("destroy", "jobs", "--namespace", "team");
        assertEquals(0, destroy.exit(), destroy::toString);
        assertEquals("destroyed shm:team/jobs\n", destroy.out());
        ConduitProcess.Result again = conduit("destroy", "jobs", "--namespace", "team");
        assertEquals(3, again.exit(), again::toString);
        again.assertOneLineError();
    }

    @Test
    void aDurableJournalIsListedAndStatedBesideARing() {
        assertEquals(0, conduit("put", "ring", "r").exit());
        ConduitProcess.Result put = conduit("put", "events", "one", "two", "three", "--durable", "--namespace", "audit");
        assertEquals(0, put.exit(), put::toString);
        assertTrue(Files.isDirectory(dir.resolve("journal.audit@events")), () -> "no journal directory in " + dir);

        ConduitProcess.Result ls = conduit("ls", "--json");
        assertEquals(0, ls.exit(), ls::toString);
        assertEquals(2, ls.json().size(), ls::toString);
        JsonNode journal = ls.json().get(1);
        assertEquals("audit", journal.get("namespace").asText(), ls::toString);
        assertEquals("events", journal.get("id").asText(), ls::toString);
        assertTrue(journal.get("durable").asBoolean(), ls::toString);
        assertEquals(3, journal.get("size").asInt(), ls::toString);
        assertEquals(3, journal.get("appended").asInt(), ls::toString);
        ConduitProcess.Result lsText = conduit("ls");
        assertTrue(lsText.out().lines().anyMatch(l -> l.startsWith("audit") && l.contains("events")
                && l.endsWith("durable journal")), lsText::toString);
        ConduitProcess.Result onlyAudit = conduit("ls", "--namespace", "audit", "--json");
        assertEquals(1, onlyAudit.json().size(), onlyAudit::toString);

        assertEquals("one\n", conduit("get", "events", "--namespace", "audit").out());
        ConduitProcess.Result stat = conduit("stat", "events", "--namespace", "audit", "--json");
        assertEquals(0, stat.exit(), stat::toString);
        assertEquals(2, stat.json().get("metrics").get("size").asInt(), stat::toString);
        assertEquals(3, stat.json().get("metrics").get("puts").asInt(), stat::toString);
        assertEquals(1, stat.json().get("metrics").get("gets").asInt(), stat::toString);
        assertTrue(stat.json().get("capabilities").toString().contains("DURABLE"), stat::toString);
        ConduitProcess.Result statText = conduit("stat", "events", "--namespace", "audit");
        assertTrue(statText.out().contains("size          2 of 1024"), statText::toString);

        ConduitProcess.Result destroy = conduit("destroy", "events", "--namespace", "audit");
        assertEquals(0, destroy.exit(), destroy::toString);
        assertFalse(Files.exists(dir.resolve("journal.audit@events")), () -> "journal left behind in " + dir);
        ConduitProcess.Result gone = conduit("stat", "events", "--namespace", "audit");
        assertEquals(3, gone.exit(), gone::toString);
        gone.assertOneLineError();
    }

    @Test
    void bytesGoInAndComeOutUnchanged() {
        byte[] payload = new byte[300];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7);
        }
        ConduitProcess.Result put = conduitWithInput(payload, "put", "blobs", "--codec", "bytes", "--item-size",
                "1024", "--capacity", "8");
        assertEquals(0, put.exit(), put::toString);
        ConduitProcess.Result stat = conduit("stat", "blobs", "--json");
        assertEquals(8, stat.json().get("metrics").get("capacity").asInt(), stat::toString);
        ConduitProcess.Result get = conduit("get", "blobs", "--codec", "BYTES");
        assertEquals(0, get.exit(), get::toString);
        assertArrayEquals(payload, get.stdout());
    }

    @Test
    void lookingAtAQueueThatDoesNotExistExitsThreeAndCreatesNothing() throws IOException {
        for (String command : List.of("stat", "peek", "get", "clear", "destroy")) {
            ConduitProcess.Result r = conduit(command, "missing");
            assertEquals(3, r.exit(), r::toString);
            r.assertOneLineError();
            assertTrue(r.stderr().contains("no queue 'missing'"), r::toString);
        }
        assertTrue(files().isEmpty(), () -> "a look created files: " + dir);
    }

    @Test
    void aFullQueueRefusesAPutWithExitFour() {
        assertEquals(0, conduit("put", "small", "x", "--capacity", "1").exit());
        ConduitProcess.Result full = conduit("put", "small", "y");
        assertEquals(4, full.exit(), full::toString);
        full.assertOneLineError();
    }

    @Test
    void anInvalidCreationOptionIsABadArgumentEvenWhenTheQueueExists() {
        assertEquals(0, conduit("put", "jobs", "x").exit());
        for (List<String> bad : List.of(List.of("--capacity", "0"), List.of("--capacity", "-5"),
                List.of("--item-size", "0"), List.of("--lanes", "0"), List.of("--lanes", "300"))) {
            List<String> args = new ArrayList<>(List.of("put", "jobs", "y"));
            args.addAll(bad);
            ConduitProcess.Result r = conduit(args.toArray(String[]::new));
            assertEquals(2, r.exit(), r::toString);
            r.assertOneLineError();
        }
        ConduitProcess.Result get = conduit("get", "jobs", "-n", "10", "--json");
        assertEquals(List.of("x"), ConduitProcess.JSON.convertValue(get.json().get("items"), List.class),
                get::toString);
    }

    @Test
    void aBatchLargerThanTheQueueItWouldCreateCreatesNoQueue() throws IOException {
        for (List<String> kind : List.of(List.<String>of(), List.of("--durable"))) {
            List<String> args = new ArrayList<>(List.of("put", "tiny", "a", "b", "c", "--capacity", "2"));
            args.addAll(kind);
            ConduitProcess.Result r = conduit(args.toArray(String[]::new));
            assertEquals(2, r.exit(), r::toString);
            r.assertOneLineError();
            List<Path> left = files();
            assertTrue(left.isEmpty(), () -> "a refused put " + kind + " left a queue: " + left);
        }
    }

    @Test
    void anItemTooLargeForTheQueueItWouldCreateCreatesNoQueue() throws IOException {
        // A ring's slots (--item-size, and the default) and a journal's largest document.
        byte[] overDefaultSlot = new byte[5000];
        byte[] overJournalDocument = new byte[(16 << 20) + 1];
        List<List<String>> kinds = List.of(List.of(), List.of("--item-size", "64"), List.of("--durable"));
        List<byte[]> inputs = List.of(overDefaultSlot, new byte[65], overJournalDocument);
        for (int i = 0; i < kinds.size(); i++) {
            List<String> args = new ArrayList<>(List.of("put", "big", "--codec", "bytes"));
            args.addAll(kinds.get(i));
            args.addAll(List.of("--dir", dir.toString()));
            ConduitProcess.Result r = ConduitProcess.run(Duration.ofSeconds(60), inputs.get(i),
                    args.toArray(String[]::new));
            assertEquals(1, r.exit(), r::toString);
            r.assertOneLineError();
            assertTrue(r.stderr().contains("encoded bytes"), r::toString);
            List<Path> left = files();
            List<String> kind = kinds.get(i);
            assertTrue(left.isEmpty(), () -> "a put " + kind + " refused as too large left a queue: " + left);
        }
        // An existing queue is kept, with what it holds.
        assertEquals(0, conduit("put", "big", "small").exit());
        ConduitProcess.Result r = conduitWithInput(overDefaultSlot, "put", "big", "--codec", "bytes");
        assertEquals(1, r.exit(), r::toString);
        ConduitProcess.Result get = conduit("get", "big", "-n", "10", "--json");
        assertEquals(List.of("small"), ConduitProcess.JSON.convertValue(get.json().get("items"), List.class),
                get::toString);
    }

    @Test
    void aDamagedQueueFileIsReportedNotThrown() throws IOException {
        Files.write(dir.resolve("conduit.default@broken.shm"), new byte[64]);
        ConduitProcess.Result ls = conduit("ls", "--json");
        assertEquals(0, ls.exit(), ls::toString);
        assertFalse(ls.json().get(0).get("problem").isNull(), ls::toString);
        ConduitProcess.Result stat = conduit("stat", "broken");
        assertEquals(1, stat.exit(), stat::toString);
        stat.assertOneLineError();
    }
}
