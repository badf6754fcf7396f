package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The actor's queue logic, called directly in this JVM through the same requests Ray carries (Ray
 * only transports these calls). Runs in every build, with or without a cluster.
 */
@Timeout(30)
class QueueActorTest {
    private final QueueActor actor = new QueueActor();

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> items(byte[] frames) {
        List<String> out = new ArrayList<>();
        Frames.read(frames, (p, bytes, off, len) -> out.add(new String(bytes, off, len, StandardCharsets.UTF_8)));
        return out;
    }

    private long open(String name, int capacity) {
        return actor.open(name, capacity)[0];
    }

    private long offer(long q, String item, int priority, long waitMillis, long token) {
        return actor.offer(Requests.offer(q, b(item), priority, waitMillis, token));
    }

    private List<String> poll(long q, int max, long waitMillis, long token) {
        return items(actor.poll(Requests.poll(q, max, waitMillis, token)));
    }

    private static List<byte[]> bytes(String... items) {
        List<byte[]> out = new ArrayList<>();
        for (String s : items) {
            out.add(b(s));
        }
        return out;
    }

    private static int[] priorities(int n) {
        int[] p = new int[n];
        java.util.Arrays.fill(p, 128);
        return p;
    }

    @Test
    void itemsOfALargeRequestDoNotKeepTheWholeRequestAlive() {
        int n = 2000; // 2000 x 64 B: a request of about 138 KB, as a coalesced send of pipelined puts makes
        List<byte[]> payloads = new ArrayList<>();
        int[] priorities = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] item = new byte[64];
            item[0] = (byte) i;
            item[63] = (byte) (i >> 8);
            payloads.add(item);
            priorities[i] = i % 256;
        }
        byte[] frames = Frames.write(payloads, priorities);
        assertTrue(frames.length > ActorQueue.Batch.SHARED_REQUEST_BYTES, "the request must count as large");
        ActorQueue.Batch batch = ActorQueue.Batch.of(frames, 0);
        assertEquals(n, batch.count());
        for (int i = 0; i < n; i++) {
            ActorQueue.Slice s = batch.items()[i];
            assertNotSame(frames, s.bytes(), "item " + i + " still points into the request");
            assertEquals(64, s.bytes().length, "item " + i + " has an array of its own, no larger than itself");
            assertArrayEquals(payloads.get(i), java.util.Arrays.copyOfRange(s.bytes(), s.offset(), s.offset() + s.length()));
            assertEquals(i % 256, batch.priorities()[i]);
        }
        // A small request stays shared: copying there would only cost.
        ActorQueue.Batch small = ActorQueue.Batch.of(Frames.write(payloads.subList(0, 16), priorities(16)), 0);
        assertEquals(16, small.count());
        assertTrue(small.items()[0].bytes() == small.items()[15].bytes(), "a small request's items share it");
    }

    @Test
    void higherPriorityFirstAndFifoAmongEquals() {
        long q = open("p", 10);
        offer(q, "low1", 10, 0, 0);
        offer(q, "high", 200, 0, 0);
        offer(q, "low2", 10, 0, 0);
        offer(q, "top", 255, 0, 0);
        offer(q, "bottom", 0, 0, 0);
        assertEquals(List.of("top", "high", "low1", "low2", "bottom"), poll(q, 10, 0, 0));
    }

    @Test
    void offerAllAddsAllOrNothingAndReportsTheRoomLeft() {
        long q = open("all", 3);
        assertEquals(2, offer(q, "x", 128, 0, 0));
        byte[] three = Requests.offerAll(q, bytes("a", "b", "c"), priorities(3), 0, 0);
        assertEquals(-1, actor.offerAll(three));
        assertEquals(1, actor.size(q));
        poll(q, 1, 0, 0);
        assertEquals(0, actor.offerAll(three));
        assertEquals(List.of("a", "b", "c"), poll(q, 5, 0, 0));
    }

    @Test
    void pollWaitsForAnOfferFromAnotherCaller() throws Exception {
        long q = open("wait", 4);
        CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(() -> poll(q, 1, 10_000, 7));
        Thread.sleep(100);
        assertFalse(waiting.isDone());
        offer(q, "wake", 128, 0, 0);
        assertEquals(List.of("wake"), waiting.get(5, TimeUnit.SECONDS));
        assertEquals(1, actor.stats(q)[5], "one wait counted");
    }

    @Test
    void cancelEndsAWaitAndACancelThatArrivesFirstStopsTheCall() throws Exception {
        long q = open("cancel", 4);
        CompletableFuture<List<String>> waiting = CompletableFuture.supplyAsync(() -> poll(q, 1, 10_000, 11));
        Thread.sleep(100);
        assertEquals(ActorQueue.CANCELLED_AFTER_START, actor.cancel(q, 11, false));
        assertEquals(List.of(), waiting.get(5, TimeUnit.SECONDS));
        offer(q, "kept", 128, 0, 0);
        assertEquals(ActorQueue.CANCELLED_BEFORE_START, actor.cancel(q, 13, false));
        assertEquals(List.of(), poll(q, 1, 10_000, 13), "cancelled before it ran: takes nothing");
        assertEquals(1, actor.size(q));
    }

    @Test
    void aCancelTellsWhetherItsCallStartedAndALateCancelOfAPutsLastTryIsItsOneRefusal() {
        long q = open("late", 1);
        offer(q, "a", 128, 0, 0);
        assertEquals(ActorQueue.CANCELLED_BEFORE_START, actor.cancel(q, 31, true), "queued for a wait thread");
        assertEquals(1, actor.stats(q)[4], "the put whose time ran out is refused");
        assertEquals(List.of("a"), poll(q, 1, 0, 0));
        assertEquals(-1, actor.offer(Requests.offer(q, b("late"), 128, 10_000, 31, Requests.LAST_TRY)),
                "run after its cancel: adds nothing though there is room");
        assertEquals(0, actor.size(q));
        assertEquals(1, actor.stats(q)[4], "and is not refused twice");
        assertEquals(List.of(), poll(q, 1, 5, 33));
        assertEquals(ActorQueue.CANCELLED_AFTER_START, actor.cancel(q, 33, false), "ended: its answer is out");
        offer(q, "b", 128, 0, 0);
        assertEquals(List.of("b"), poll(q, 1, 0, 0), "a cancel of an ended call stops no later call");
        actor.destroy(q);
        assertEquals(QueueActor.QUEUE_GONE, actor.cancel(q, 35, false));
    }

    @Test
    void aCancelTheActorCannotRememberNeverLetsItsCallTakeWhatNobodyReceives() {
        // A client whose cancel is answered "had not started" returns without the call's answer; so
        // if more such calls wait for a wait thread than the actor remembers, the one it forgot
        // must not run as a plain poll when its turn comes: the item it took would be lost.
        long q = open("many-cancels", 4);
        int n = ActorQueue.MAX_REMEMBERED_TOKENS + 1;
        int[] said = new int[n];
        for (int i = 0; i < n; i++) {
            said[i] = actor.cancel(q, 1001 + 2L * i, false);
        }
        offer(q, "x", 128, 0, 0);
        List<String> received = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> took = poll(q, 1, 0, 1001 + 2L * i);
            if (said[i] == ActorQueue.CANCELLED_BEFORE_START) {
                assertEquals(List.of(), took, "call " + i + " of " + n + " ran after its cancel");
            } else {
                received.addAll(took);
            }
        }
        received.addAll(poll(q, 1, 0, 0));
        assertEquals(List.of("x"), received);
    }

    @Test
    void aPollTakesNoMoreThanItsAnswerCarriesAndLeavesTheRestQueued() {
        // Frames.MAX_LENGTH in production (2 GiB: an answer over it could not be written, and the
        // items taken for it were lost); a small limit here, checked the same way.
        byte[] item = b("0123456789");
        int perItem = Frames.ITEM_HEADER_LENGTH + item.length;
        ActorQueue q = new ActorQueue("small-answers", 1, 100, Frames.HEADER_LENGTH + 3 * perItem);
        int n = 8;
        ActorQueue.Slice[] slices = new ActorQueue.Slice[n];
        for (int i = 0; i < n; i++) {
            slices[i] = new ActorQueue.Slice(item, 0, item.length);
        }
        q.send(new ActorQueue.Batch(slices, priorities(n)));
        List<Integer> answers = new ArrayList<>();
        for (int got = 0; got < n;) {
            byte[] frames = q.poll(n, 0, 0, 0);
            assertTrue(frames.length <= Frames.HEADER_LENGTH + 3 * perItem, "an answer of " + frames.length + " bytes");
            answers.add(Frames.count(frames));
            got += Frames.count(frames);
        }
        assertEquals(List.of(3, 3, 2), answers);
        assertEquals(0, q.size());
        assertEquals(n, q.stats()[3], "gets count what was handed over");
        ActorQueue tiny = new ActorQueue("one-anyway", 2, 10, 1);
        tiny.send(new ActorQueue.Batch(new ActorQueue.Slice[] {slices[0], slices[1]}, priorities(2)));
        assertEquals(1, Frames.count(tiny.poll(10, 0, 0, 0)), "the first item always goes");
    }

    @Test
    void aBatchOverWhatOneCallCarriesIsRefusedBeforeAnyArrayIsMade() {
        // One array stands for every item, so 2 and 4 GiB of frames cost 8 MiB; the 4 GiB length
        // wraps around an int.
        byte[] item = new byte[8 << 20];
        int justOver = Frames.MAX_LENGTH / (Frames.ITEM_HEADER_LENGTH + item.length) + 1;
        for (int n : new int[] {justOver, 2 * justOver}) {
            List<byte[]> batch = java.util.Collections.nCopies(n, item);
            assertTrue(Frames.length(batch) > Frames.MAX_LENGTH);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Requests.offerAll(1, batch, priorities(n), 0, 0));
            assertTrue(e.getMessage().contains(String.valueOf(Frames.MAX_LENGTH)), e.getMessage());
        }
        List<byte[]> fits = java.util.Collections.nCopies(justOver - 1, item);
        assertTrue(Frames.length(fits) <= Frames.MAX_LENGTH, "one item fewer fits");
    }

    @Test
    void returnedItemsGoBackToTheHeadInOrder() {
        long q = open("return", 5);
        for (String s : List.of("1", "2", "3")) {
            offer(q, s, 128, 0, 0);
        }
        byte[] taken = actor.poll(Requests.poll(q, 2, 0, 0));
        assertEquals(2, actor.returnItems(Requests.returnItems(q, taken)));
        assertEquals(List.of("1", "2", "3"), poll(q, 5, 0, 0));
        assertEquals(3, actor.stats(q)[3], "gets count only delivered items");
    }

    @Test
    void offerWaitsForRoomAndTimesOut() {
        long q = open("full", 1);
        assertEquals(0, offer(q, "a", 128, 0, 0));
        long t0 = System.nanoTime();
        assertEquals(-1, offer(q, "b", 128, 100, 3));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(95));
        assertArrayEquals(new long[] {1, 1, 1, 0, 1, 1, 1, 0, 0}, actor.stats(q));
    }

    @Test
    void onlyARefusedLastTryCountsAsRejectedAndAContinuedWaitIsNotCountedAgain() {
        long q = open("counts", 1);
        offer(q, "a", 128, 0, 0);
        assertEquals(-1, actor.offer(Requests.offer(q, b("b"), 128, 0, 0, 0)), "a first try the client follows");
        assertEquals(-1, actor.offer(Requests.offer(q, b("b"), 128, 20, 21, 0)), "a wait the client follows");
        assertEquals(-1, actor.offer(Requests.offer(q, b("b"), 128, 20, 23, Requests.LAST_TRY | Requests.CONTINUED)));
        long[] s = actor.stats(q);
        assertEquals(1, s[4], "one put refused");
        assertEquals(1, s[5], "one put waited");
        actor.cancel(q, 25, false);
        assertEquals(-1, actor.offer(Requests.offer(q, b("b"), 128, 10_000, 25, Requests.LAST_TRY)));
        assertEquals(1, actor.stats(q)[4], "a cancelled put (interrupt, close) is not a refusal");
    }

    @Test
    void sendParksBatchesThatFindNoRoomAndAdmitsThemInOrderAheadOfLaterPuts() {
        long q = open("park", 3);
        assertEquals(1, actor.send(Requests.send(q, bytes("a", "b"), priorities(2))));
        assertEquals(-2, actor.send(Requests.send(q, bytes("c", "d"), priorities(2))), "no room for both: parked");
        assertEquals(-3, actor.send(Requests.send(q, bytes("e"), priorities(1))), "behind a parked batch: parked");
        assertEquals(-1, offer(q, "late", 128, 0, 0), "a later put may not overtake parked items");
        assertEquals(2, actor.size(q), "parked items are not in the queue");
        assertEquals(List.of("a"), poll(q, 1, 0, 0));
        assertEquals(List.of("b"), poll(q, 1, 0, 0));
        assertEquals(3, actor.size(q), "room for c+d and then e: all admitted");
        assertEquals(List.of("c", "d", "e"), poll(q, 10, 0, 0));
        assertEquals(5, actor.stats(q)[2], "puts count admitted items");
    }

    @Test
    void clearAdmitsParkedBatchesAndCountsWhatItRemoved() {
        long q = open("clear", 2);
        actor.send(Requests.send(q, bytes("a", "b"), priorities(2)));
        actor.send(Requests.send(q, bytes("c"), priorities(1)));
        assertEquals(2, actor.clear(q));
        assertEquals(List.of("c"), poll(q, 10, 0, 0));
        long[] s = actor.stats(q);
        assertEquals(2, s[8], "cleared");
        assertEquals(s[0], s[2] - s[3] - s[8], "size = puts - gets - cleared");
    }

    @Test
    void queuesOnOneActorAreIndependentAndOpenFindsThemByName() {
        long a = open("ns/a", 4);
        long b = open("ns/b", 2);
        assertNotEquals(a, b);
        assertEquals(a, open("ns/a", 99), "the same name opens the same queue");
        assertEquals(4, actor.open("ns/a", 99)[1], "with its own capacity");
        offer(a, "for-a", 128, 0, 0);
        assertEquals(List.of(), poll(b, 1, 0, 0));
        assertEquals(List.of("for-a"), poll(a, 1, 0, 0));
    }

    @Test
    void destroyEndsWaitsAndOldIdsNameNothingEvenAfterTheNameIsReused() throws Exception {
        long q = open("doomed", 4);
        offer(q, "x", 128, 0, 0);
        long other = open("other", 1);
        offer(other, "full", 128, 0, 0);
        CompletableFuture<Long> blockedPut = CompletableFuture.supplyAsync(() -> offer(other, "y", 128, 10_000, 5));
        Thread.sleep(100);
        assertEquals(1, actor.destroy(other));
        Exception e = assertThrows(Exception.class, () -> blockedPut.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QueueGoneException, e.toString());
        long again = open("other", 1);
        assertNotEquals(other, again);
        assertThrows(QueueGoneException.class, () -> actor.size(other));
        assertEquals(0, actor.size(again), "a reopened queue starts empty");
        assertEquals(1, actor.size(q), "other queues keep their items");
        assertEquals(0, actor.destroy(other), "destroying twice is harmless");
    }
}
