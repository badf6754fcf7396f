package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * DROP_OLDEST drops only when the queue is full. The put used to find the queue full, then drop
 * the head with a plain poll; a consumer that took an item in between had already made room, so
 * the put dropped a second item it did not need to drop. With one producer the check is exact: the
 * put of item {@code k} finds items {@code k - capacity .. k - 1} at most, so an item it drops is
 * at most {@code k - capacity}; and only that producer drops, so reading the dropped count after
 * each put tells which put dropped which item (drops and takes both remove the head, in order).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalDropOldestRaceTest {
    private static final int ITEMS = 400_000;

    @ParameterizedTest
    @CsvSource({"2,0,50", "2,0,0", "3,0,100", "5,10,10"})
    void aPutDropsAnItemOnlyWhenTheQueueIsFull(int capacity, int consumerPause, int producerPause)
            throws Exception {
        QueueDescriptor d = QueueDescriptor.local("drop-oldest-race-" + System.nanoTime()).withCapacity(capacity)
                .withOption("backpressure", "DROP_OLDEST");
        MessageQueue<Integer> q = d.open();
        long[] droppedAfter = new long[ITEMS];
        boolean[] delivered = new boolean[ITEMS];
        AtomicBoolean stop = new AtomicBoolean();
        Thread consumer = new Thread(() -> {
            while (!stop.get()) {
                Optional<Integer> o = q.poll();
                o.ifPresent(i -> delivered[i] = true);
                for (int k = 0; k < consumerPause; k++) {
                    Thread.onSpinWait();
                }
            }
        }, "drop-oldest-consumer");
        consumer.setDaemon(true);
        consumer.start();
        for (int i = 0; i < ITEMS; i++) {
            assertTrue(q.offer(i));
            droppedAfter[i] = q.metrics().dropped();
            for (int k = 0; k < producerPause; k++) {
                Thread.onSpinWait();
            }
        }
        stop.set(true);
        consumer.join(15_000);
        assertTrue(!consumer.isAlive(), "the consumer is stuck");
        for (Optional<Integer> o = q.poll(); o.isPresent(); o = q.poll()) {
            delivered[o.get()] = true;
        }
        int drops = 0;
        int put = 0;
        int needless = 0;
        String first = null;
        for (int j = 0; j < ITEMS; j++) {
            if (delivered[j]) {
                continue;
            }
            drops++;
            while (droppedAfter[put] < drops) {
                put++;
            }
            if (j > put - capacity) {
                needless++;
                if (first == null) {
                    first = "item " + j + " dropped by the put of item " + put;
                }
            }
        }
        assertEquals(q.metrics().dropped(), drops, "dropped items = items never delivered");
        assertEquals(0, needless, needless + " of " + drops + " drops while the queue had room; first: " + first);
        q.destroy();
    }
}
