package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Set;

/**
 * One producer process sends {@code items} items to one consumer process through a one-to-one
 * queue; afterwards the queue's metrics and the consumer's report must show every item taken once,
 * none damaged, every sequence number present and taken in the order sent, with the checksum of
 * what was sent. The consumer's way of taking is the {@link ShmTestProcess} role given.
 */
final class OneToOneTransfer {
    /**
     * Seconds for both children together: a transfer takes a few; the test classes' {@code @Timeout}
     * of 300 s keeps the rest as margin for starting JVMs and the checks.
     */
    private static final long CHILD_BUDGET_SECONDS = 120;

    private OneToOneTransfer() {
    }

    /**
     * Runs the transfer and checks it.
     *
     * @param dir a fresh directory for the consumer's report and the children's logs
     * @param d the queue, {@code producers=single} and {@code consumers=single}
     * @param consumerRole the consumer's {@link ShmTestProcess} role, e.g. {@code consume-batches}
     * @param items how many items the producer sends
     */
    static void run(Path dir, QueueDescriptor d, String consumerRole, long items) throws Exception {
        Path result = dir.resolve("result");
        try (Children children = new Children(dir.resolve("logs"))) {
            ChildBudget budget = new ChildBudget(CHILD_BUDGET_SECONDS);
            Process consumer = children.start(consumerRole, d.toJson(), result.toString());
            Process producer = children.start("produce", d.toJson(), "0", Long.toString(items), "1");
            assertEquals(0, budget.await(producer, "the producer", () -> children.logOf(1)), children.logOf(1));
            try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
                String what = "the consumer (" + consumerRole + ")";
                byte[] stop = ShmTestProcess.item(ShmTestProcess.STOP, 0);
                budget.putFor(consumer, what, () -> children.logOf(0), q, stop); // the producer role is free again
                assertEquals(0, budget.await(consumer, what, () -> children.logOf(0)), children.logOf(0));
                QueueMetrics m = q.metrics();
                assertEquals(items + 1, m.puts());
                assertEquals(m.puts(), m.gets());
                assertEquals(0, m.dropped());
                assertEquals(0, m.size());
                assertEquals((items + 1) * ShmTestProcess.ITEM_BYTES, m.bytesIn());
                assertEquals(m.bytesIn(), m.bytesOut());
            }
            Tally.Report r = Tally.read(result);
            assertEquals(items, r.count(), "items taken");
            assertEquals(0, r.duplicates(), "duplicates");
            assertEquals(0, r.reordered(), "items taken after a later one: not FIFO");
            assertEquals(0, r.damaged(), "damaged items");
            assertEquals(Set.of(0L), r.seen().keySet(), "producers seen");
            BitSet seen = r.seen().get(0L);
            assertEquals(items, seen.cardinality());
            assertEquals(items, seen.nextClearBit(0));
            assertEquals(Tally.checksumOf(0, items), r.checksum());
        }
    }
}
