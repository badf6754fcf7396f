package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The actor's queue logic, called directly in this JVM (Ray only transports these calls). Runs in
 * every build, with or without a cluster.
 */
@Timeout(30)
class QueueActorTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> items(byte[] frames) {
        List<String> out = new ArrayList<>();
        Frames.read(frames, (p, bytes, off, len) -> out.add(new String(bytes, off, len, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void higherPriorityFirstAndFifoAmongEquals() {
        QueueActor a = new QueueActor(10);
        a.offer(b("low1"), 10, 0, 0);
        a.offer(b("high"), 200, 0, 0);
        a.offer(b("low2"), 10, 0, 0);
        assertEquals(List.of("high", "low1", "low2"), items(a.poll(10, 0, 0)));
    }

    @Test
    void offerAllAddsAllOrNothing() {
        QueueActor a = new QueueActor(3);
        a.offer(b("x"), 128, 0, 0);
        byte[] three = Frames.write(List.of(b("a"), b("b"), b("c")), new int[] {128, 128, 128});
        assertEquals(0, a.offerAll(three, 0, 0));
        assertEquals(1, a.size());
        a.poll(1, 0, 0);
        assertEquals(1, a.offerAll(three, 0, 0));
        assertEquals(List.of("a", "b", "c"), items(a.poll(5, 0, 0)));
    }

    @Test
    void pollWaitsForAnOfferFromAnotherCaller() throws Exception {
        QueueActor a = new QueueActor(4);
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> a.poll(1, 10_000, 7));
        Thread.sleep(100);
        assertFalse(waiting.isDone());
        a.offer(b("wake"), 128, 0, 0);
        assertEquals(List.of("wake"), items(waiting.get(5, TimeUnit.SECONDS)));
        assertEquals(1, a.stats()[5], "one wait counted");
    }

    @Test
    void cancelEndsAWaitAndACancelThatArrivesFirstStopsTheCall() throws Exception {
        QueueActor a = new QueueActor(4);
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> a.poll(1, 10_000, 11));
        Thread.sleep(100);
        a.cancel(11);
        assertEquals(0, Frames.count(waiting.get(5, TimeUnit.SECONDS)));
        a.offer(b("kept"), 128, 0, 0);
        a.cancel(13);
        assertEquals(0, Frames.count(a.poll(1, 10_000, 13)), "cancelled before it ran: takes nothing");
        assertEquals(1, a.size());
    }

    @Test
    void returnedItemsGoBackToTheHeadInOrder() {
        QueueActor a = new QueueActor(5);
        for (String s : List.of("1", "2", "3")) {
            a.offer(b(s), 128, 0, 0);
        }
        byte[] taken = a.poll(2, 0, 0);
        assertEquals(2, a.returnItems(taken));
        assertEquals(List.of("1", "2", "3"), items(a.poll(5, 0, 0)));
        long[] stats = a.stats();
        assertEquals(3, stats[3], "gets count only delivered items");
    }

    @Test
    void offerWaitsForRoomAndTimesOut() {
        QueueActor a = new QueueActor(1);
        assertEquals(1, a.offer(b("a"), 128, 0, 0));
        long t0 = System.nanoTime();
        assertEquals(0, a.offer(b("b"), 128, 100, 3));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(95));
        assertArrayEquals(new long[] {1, 1, 1, 0, 1, 1, 1, 0}, a.stats());
    }
}
