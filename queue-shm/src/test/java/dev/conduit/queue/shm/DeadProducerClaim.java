package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;

/**
 * The scaffolding of the one-to-one queue's dead-writer cases, which SingleConsumerTest takes with
 * get and ZeroCopyReaderTest with a {@link ShmReader}: a producer process puts two items, a second
 * one claims the slots after them and dies writing; then either this process puts the next item
 * (taking the producer role over, which tombstones the claim) or the consumer meets the claim first
 * and must recover it itself. SingleProducerTest takes the consumer-first case on a
 * {@code producers=single} file with shared consumers, where a new producer tombstones only untagged
 * claims: this one is tagged, so only a consumer recovers it.
 */
final class DeadProducerClaim {
    private DeadProducerClaim() {
    }

    /**
     * Leaves items 0 and 1 of producer 1 in {@code q} and after them a claim of {@code batch} slots
     * whose producer process died writing them; if {@code producerFirst}, this process then puts item
     * 0 of producer 0 behind the claim.
     */
    static void leaveBehindTwoItems(Children children, QueueDescriptor d, MessageQueue<byte[]> q, int batch,
            boolean producerFirst) throws Exception {
        Process first = children.start("produce", d.toJson(), "1", "2", "1");
        assertEquals(0, Children.await(first, 60), children.logOf(0));
        Process dying = children.start("halt-mid-write", d.toJson(), Integer.toString(batch));
        assertEquals(3, Children.await(dying, 60), children.logOf(1));
        assertEquals(2 + batch, q.size(), "the items and the dead claim");
        if (producerFirst) {
            q.put(ShmTestProcess.item(0, 0)); // takes the role over and tombstones the claim
        }
    }

    /**
     * Asserts, once the three items were taken, that the metrics count them and not the dead put,
     * that nothing was dropped and that the queue is empty.
     */
    static void assertThreeTakenAndTheDeadPutNotCounted(MessageQueue<byte[]> q) {
        QueueMetrics m = q.metrics();
        assertEquals(3, m.puts(), "the dead put is not counted: " + m);
        assertEquals(3, m.gets(), m.toString());
        assertEquals(0, m.dropped(), m.toString());
        assertEquals(0, q.size());
        assertEquals(3 * ShmTestProcess.ITEM_BYTES, m.bytesIn());
        assertEquals(m.bytesIn(), m.bytesOut());
    }
}
