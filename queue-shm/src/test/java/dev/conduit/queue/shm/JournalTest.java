package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The durable journal on Chronicle Queue, with real second JVMs. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class JournalTest {
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    @TempDir
    Path dir;

    private QueueDescriptor journal(String id) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(100).withOption("dir", dir.toString());
    }

    private static List<String> flags() {
        return List.of(ChronicleFlags.commandLine().split(" "));
    }

    @Test
    void itemsPutByAProcessThatEndedAreStillThere() throws Exception {
        QueueDescriptor d = journal("survives");
        try (Children children = new Children(dir.resolve("logs"))) {
            Process writer = children.startWith(Path.of(System.getProperty("java.home"), "bin", "java"), flags(),
                    "journal-put", d.toJson(), "5");
            assertEquals(0, Children.await(writer, 120), children.logOf(0));
        }
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            assertTrue(q.capabilities().contains(Capability.DURABLE));
            assertEquals(5, q.size());
            for (int i = 0; i < 5; i++) {
                assertEquals("item-" + i, q.get(Duration.ofSeconds(5)));
            }
            assertEquals(5, q.metrics().gets());
        }
    }

    @Test
    void namedSubscribersEachSeeEveryItemAndResumeWhereTheyStopped() throws Exception {
        QueueDescriptor d = journal("subscribers");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.putAll(List.of("a", "b", "c", "d"));
            MessageQueue<String> alice = q.subscriber("alice");
            assertEquals("a", alice.get(Duration.ofSeconds(5)));
            assertEquals("b", alice.get(Duration.ofSeconds(5)));
            alice.close();
            MessageQueue<String> bob = q.subscriber("bob");
            assertEquals(List.of("a", "b", "c", "d"), bob.getBatch(10, Duration.ofSeconds(5)));
            MessageQueue<String> aliceAgain = q.subscriber("alice");
            assertEquals("c", aliceAgain.get(Duration.ofSeconds(5)));
            assertEquals("a", q.get(Duration.ofSeconds(5)), "the plain handle is its own subscriber");
            JournalQueues.replay(d, "alice", 1);
            assertEquals("b", aliceAgain.get(Duration.ofSeconds(5)));
            q.put("e");
            assertEquals(List.of("c", "d", "e"), aliceAgain.getBatch(10, Duration.ofSeconds(5)));
        }
    }

    @Test
    void theCapacityBoundsTheBacklogAndBatchesAreAtomic() throws Exception {
        QueueDescriptor d = journal("bounded").withCapacity(3);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.putAll(List.of("1", "2"));
            org.junit.jupiter.api.Assertions.assertThrows(QueueFullException.class,
                    () -> q.putAll(List.of("3", "4"), 128, Duration.ofMillis(10)));
            q.put("3");
            assertEquals("1", q.get());
            q.put("4");
            assertEquals(List.of("2", "3", "4"), q.getBatch(10, Duration.ofSeconds(1)));
        }
    }

    @Test
    void shmWithDurableTrueIsTheJournal() throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("durable").withNamespace("j").withOption("durable", "true")
                .withOption("dir", dir.toString());
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("kept");
            assertTrue(q.capabilities().contains(Capability.DURABLE));
            assertEquals("kept", q.get());
            q.destroy();
        }
        assertTrue(Files.notExists(JournalStore.directory(d)));
    }

    @Test
    void withoutTheFlagsOpeningFailsWithAMessageListingThem() throws Exception {
        QueueDescriptor d = journal("noflags");
        try (Children children = new Children(dir.resolve("logs"))) {
            Process p = children.start("journal-get", d.toJson(), "1");
            assertEquals(0, Children.await(p, 120), children.logOf(0));
            String out = children.logOf(0);
            assertTrue(out.contains("refused:") && out.contains("--add-opens=java.base/java.lang=ALL-UNNAMED")
                    && out.contains("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"), out);
        }
    }

    @Test
    void theJournalWorksOnJdk25() throws Exception {
        assumeTrue(Files.isExecutable(JDK25), "no JDK 25 at " + JDK25);
        QueueDescriptor d = journal("jdk25");
        try (MessageQueue<String> q = d.open(Codecs.string());
                Children children = new Children(dir.resolve("logs"))) {
            Process p = children.startWith(JDK25, flags(), "journal-put", d.toJson(), "3");
            assertEquals(0, Children.await(p, 120), children.logOf(0));
            assertEquals(List.of("item-0", "item-1", "item-2"), q.getBatch(10, Duration.ofSeconds(10)));
        }
    }
}
