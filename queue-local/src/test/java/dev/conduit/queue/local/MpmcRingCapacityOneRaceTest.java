package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A ring of capacity 1 under a producer that offers while a consumer takes. With a one-slot array,
 * "published for index p" and "freed for index p + 1" were the same sequence number, so a producer
 * that read the consumer index between a consumer's claim and its free wrote into the slot being
 * read, and the consumer's free then wrote over the publish: the item was lost and every later poll
 * waited for ever for a publish that had already happened.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MpmcRingCapacityOneRaceTest {
    private static final long ITEMS = 3_000_000;

    @Test
    void everyItemOfACapacityOneRingArrivesOnceInOrder() throws Exception {
        for (int round = 0; round < 3; round++) {
            MpmcRing ring = new MpmcRing(1);
            AtomicLong taken = new AtomicLong();
            AtomicLong wrongAt = new AtomicLong(-1);
            Thread producer = new Thread(() -> {
                for (long i = 0; i < ITEMS; i++) {
                    while (!ring.offer(i)) {
                        Thread.onSpinWait();
                    }
                }
            }, "capacity-one-producer");
            Thread consumer = new Thread(() -> {
                for (long i = 0; i < ITEMS; i++) {
                    Object e;
                    while ((e = ring.poll()) == null) {
                        Thread.onSpinWait();
                    }
                    if ((Long) e != i && wrongAt.get() < 0) {
                        wrongAt.set(i);
                    }
                    taken.incrementAndGet();
                }
            }, "capacity-one-consumer");
            producer.setDaemon(true);
            consumer.setDaemon(true);
            producer.start();
            consumer.start();
            // Stuck means no progress for 5 s; on a loaded machine the round may just be slow.
            long before = -1;
            while (consumer.isAlive() && taken.get() != before) {
                before = taken.get();
                consumer.join(TimeUnit.SECONDS.toMillis(5));
            }
            assertTrue(!consumer.isAlive(), "round " + round + ": the consumer is stuck after " + taken.get()
                    + " of " + ITEMS + " items (a poll waits for a publish that was overwritten)");
            assertEquals(-1, wrongAt.get(), "round " + round + ": an item out of order or lost");
            assertEquals(ITEMS, taken.get());
            assertEquals(ITEMS, ring.consumerCount());
        }
    }
}
