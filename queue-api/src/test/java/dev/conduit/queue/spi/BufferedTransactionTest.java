package dev.conduit.queue.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.Transaction;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Transactions' life cycle: what a finished transaction refuses, and that a failed commit leaves
 * nothing half-applied and the transaction open. Runs on the {@code existing} backend over a real
 * {@link ArrayBlockingQueue}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BufferedTransactionTest {

    private static MessageQueue<String> newQueue(int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(capacity),
                "tx-" + UUID.randomUUID()).open();
    }

    @Test
    void lambdaTransactionWhoseBodyCommitsItselfReturnsNormallyAndAddsOnce() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            q.transaction(tx -> {
                tx.put("a");
                tx.commit();
            });
            assertEquals(1, q.size());
            assertEquals("a", q.getNowait());
        }
    }

    @Test
    void aBodyThatFailsWithACheckedExceptionSaysWhetherItsItemsWentIn() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            java.util.concurrent.CompletionException before = assertThrows(
                    java.util.concurrent.CompletionException.class, () -> q.transaction(tx -> {
                        tx.put("a");
                        throw new java.io.IOException("before commit");
                    }));
            assertEquals(0, q.size());
            assertTrue(before.getMessage().contains("nothing was put"), before.getMessage());
            assertEquals("before commit", before.getCause().getMessage());

            // The body committed, then failed: its item is in, and a caller that believed
            // "nothing was put" and ran it again would add it twice.
            java.util.concurrent.CompletionException after = assertThrows(
                    java.util.concurrent.CompletionException.class, () -> q.transaction(tx -> {
                        tx.put("b");
                        tx.commit();
                        throw new java.io.IOException("after commit");
                    }));
            assertEquals(List.of("b"), q.getBatch(10, Duration.ZERO));
            assertFalse(after.getMessage().contains("nothing was put"), after.getMessage());
            assertTrue(after.getMessage().contains("committed"), after.getMessage());
            assertEquals("after commit", after.getCause().getMessage());
        }
    }

    @Test
    void committedTransactionRefusesASecondCommitAndMorePuts() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            Transaction<String> tx = q.beginTransaction();
            tx.put("a");
            tx.commit();
            assertTrue(tx.isCommitted());
            assertThrows(IllegalStateException.class, tx::commit);
            assertThrows(IllegalStateException.class, () -> tx.put("b"));
            tx.rollback();
            tx.close();
            assertEquals(List.of("a"), q.getBatch(10, Duration.ZERO));
        }
    }

    @Test
    void rolledBackTransactionRefusesCommitAndPuts() throws Exception {
        try (MessageQueue<String> q = newQueue(4)) {
            Transaction<String> tx = q.beginTransaction();
            tx.put("a");
            tx.rollback();
            assertThrows(IllegalStateException.class, tx::commit);
            assertThrows(IllegalStateException.class, () -> tx.put("b"));
            assertFalse(tx.isCommitted());
            assertTrue(q.isEmpty());
        }
    }

    @Test
    void commitOnAClosedHandleAddsNothingAndLeavesTheTransactionOpen() throws Exception {
        QueueDescriptor d = QueueDescriptor.fromExisting(new ArrayBlockingQueue<String>(4), "tx-" + UUID.randomUUID());
        MessageQueue<String> q = d.open();
        Transaction<String> tx = q.beginTransaction();
        tx.put("a");
        tx.put("b");
        q.close();
        assertThrows(QueueClosedException.class, tx::commit);
        assertFalse(tx.isCommitted());
        assertEquals(2, tx.size());
        try (MessageQueue<String> other = d.open()) {
            assertTrue(other.isEmpty());
        }
    }

    @Test
    void commitLargerThanTheCapacityIsRefusedAndAddsNothing() throws Exception {
        try (MessageQueue<String> q = newQueue(2)) {
            Transaction<String> tx = q.beginTransaction();
            tx.put("a");
            tx.put("b");
            tx.put("c");
            assertThrows(IllegalArgumentException.class, () -> tx.commit(Duration.ofMillis(50)));
            assertFalse(tx.isCommitted());
            assertTrue(q.isEmpty());
        }
    }
}
