package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.HeldCalls.BOUND_SECONDS;
import static dev.conduit.queue.shm.HeldCalls.await;
import static dev.conduit.queue.shm.HeldCalls.held;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a one-to-one file, a put (or take) that waited for its process's turn while the process's last
 * handle closed is refused as a call on a closed handle. It took the role again and wrote: that ring
 * was attached no more (a reopen makes a new one), so nothing ever gave the role back, and every
 * other process was refused the role until this one exited.
 *
 * <p>Each round: a call of this process is held inside its copy, holding the turn; a second call
 * waits for the turn; the last handle closes on a third thread, which waits for the turn too (both
 * are seen inside {@link TurnLock}'s wait before the first call goes on). Which waiter gets the turn
 * next is not fixed (the turn is not fair): when the second call gets it first, it completes and the
 * role is then given back; when the close gets it first, the second call must be refused. Either
 * way, the role word must be 0 at the end. Rounds go on until the second case happened (the close
 * starts waiting last, so it spins while the second call has backed off to parking, and usually
 * wins); a run in which it never happened is aborted, not passed. Every wait is bounded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RoleReleasedWhileWaitingForTheTurnTest {
    private static final int MAX_ROUNDS = 20;
    /** How long the second call waits for the turn before the close starts, so that it parks. */
    private static final long SECOND_CALL_WAITS_MILLIS = 50;

    @TempDir
    Path dir;

    private static byte[] item(int n) {
        return HeldCalls.item(0x7E27L, n);
    }

    private QueueDescriptor descriptor(String name) {
        return QueueDescriptor.shm(name).withNamespace("turn-release").withCapacity(8)
                .withOption("dir", dir.toString()).withOption("itemSize", "64").withOption("producers", "single")
                .withOption("consumers", "single");
    }

    @Test
    void aPutThatWaitedForTheTurnWhileTheLastHandleClosedIsRefused() throws Exception {
        boolean refusedOnce = false;
        for (int round = 0; round < MAX_ROUNDS && !refusedOnce; round++) {
            QueueDescriptor d = descriptor("put-" + round);
            ShmOptions o = ShmOptions.of(d);
            MessageQueue<byte[]> q = d.open(Codecs.bytes());
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            q.close(); // the ring's last handle is now `ring`
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch go = new CountDownLatch(1);
            Call<Integer> first = Call.start("first-put", () -> ring.tryOffer(0, held(item(0), inside, go), null));
            await(inside);
            Call<Integer> second = Call.start("second-put",
                    () -> ring.tryOffer(0, held(item(1), new CountDownLatch(1), new CountDownLatch(0)), null));
            second.awaitWaitingForTheTurn();
            Thread.sleep(SECOND_CALL_WAITS_MILLIS);
            Call<Integer> close = Call.start("close", () -> {
                ShmFile.release(o.path(), ring);
                return 0;
            });
            close.awaitWaitingForTheTurn();
            go.countDown();

            assertEquals(SharedRing.OK, first.result());
            close.result();
            Throwable refusal = second.failure();
            if (refusal != null) {
                assertInstanceOf(QueueClosedException.class, refusal, () -> "the waiting put: " + refusal);
                assertEquals(1, ring.producerIndex(0), "the refused put claimed nothing");
                refusedOnce = true;
            } else {
                assertEquals(SharedRing.OK, second.result(), "the waiting put, which got the turn first");
            }
            assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET),
                    "the producer role is free once the last handle closed (round " + round + ")");
        }
        Assumptions.assumeTrue(refusedOnce, "in " + MAX_ROUNDS + " rounds the waiting put always got the turn"
                + " before the close: the refusal was not exercised");
    }

    @Test
    void aTakeThatWaitedForTheTurnWhileTheLastHandleClosedIsRefused() throws Exception {
        boolean refusedOnce = false;
        for (int round = 0; round < MAX_ROUNDS && !refusedOnce; round++) {
            QueueDescriptor d = descriptor("take-" + round);
            ShmOptions o = ShmOptions.of(d);
            MessageQueue<byte[]> q = d.open(Codecs.bytes());
            q.put(item(0), Duration.ofSeconds(BOUND_SECONDS));
            q.put(item(1), Duration.ofSeconds(BOUND_SECONDS));
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            q.close();
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch go = new CountDownLatch(1);
            Call<Object> first = Call.start("first-take",
                    () -> ring.tryPoll(0, holding(inside, go), new SharedRing.Stall()));
            await(inside);
            Call<Object> second = Call.start("second-take",
                    () -> ring.tryPoll(0, Codecs.bytes(), new SharedRing.Stall()));
            second.awaitWaitingForTheTurn();
            Thread.sleep(SECOND_CALL_WAITS_MILLIS);
            Call<Integer> close = Call.start("close", () -> {
                ShmFile.release(o.path(), ring);
                return 0;
            });
            close.awaitWaitingForTheTurn();
            go.countDown();

            assertArrayEquals(item(0), (byte[]) first.result());
            close.result();
            Throwable refusal = second.failure();
            if (refusal != null) {
                assertInstanceOf(QueueClosedException.class, refusal, () -> "the waiting take: " + refusal);
                assertEquals(1L, (long) SharedRing.LONG.getAcquire(ring.buf,
                        ring.layout.laneOffset(0) + RingLayout.CONSUMER_INDEX), "the refused take took nothing");
                refusedOnce = true;
            } else {
                assertArrayEquals(item(1), (byte[]) second.result(), "the waiting take, which got the turn first");
            }
            assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.CONSUMER_OWNER_OFFSET),
                    "the consumer role is free once the last handle closed (round " + round + ")");
        }
        Assumptions.assumeTrue(refusedOnce, "in " + MAX_ROUNDS + " rounds the waiting take always got the turn"
                + " before the close: the refusal was not exercised");
    }

    /**
     * The narrower window: a call that passed its handle's closed check just before the close and
     * reaches the role check after it. Checked directly on the released ring (which thread reaches
     * the check first is not what is tested): every way to take a role on it is refused as a call on a
     * closed handle, and the role words stay 0.
     */
    @Test
    void aRingWhoseRolesWereGivenBackIsNeverGivenThemAgain() throws Exception {
        QueueDescriptor d = descriptor("released");
        ShmOptions o = ShmOptions.of(d);
        MessageQueue<byte[]> q = d.open(Codecs.bytes());
        q.put(item(0), Duration.ofSeconds(BOUND_SECONDS));
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        q.close();
        ShmFile.release(o.path(), ring); // the last handle: both roles are given back
        assertClosed(ring::claimProducerRole);
        assertClosed(ring::claimConsumerRole);
        assertClosed(() -> ring.tryOffer(0, held(item(1), new CountDownLatch(1), new CountDownLatch(0)), null));
        assertClosed(() -> ring.tryPoll(0, Codecs.bytes(), new SharedRing.Stall()));
        assertEquals(1, ring.producerIndex(0), "the refused put claimed nothing");
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf,
                ring.layout.laneOffset(0) + RingLayout.CONSUMER_INDEX), "the refused take took nothing");
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET));
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.CONSUMER_OWNER_OFFSET));

        // A reopen makes a new ring, which takes the roles again and sees what the old one wrote.
        try (MessageQueue<byte[]> again = d.open(Codecs.bytes())) {
            again.put(item(1), Duration.ofSeconds(BOUND_SECONDS));
            assertArrayEquals(item(0), again.get(Duration.ofSeconds(BOUND_SECONDS)));
            assertArrayEquals(item(1), again.get(Duration.ofSeconds(BOUND_SECONDS)));
            assertTrue(0L != (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET),
                    "the reopened handle holds the producer role");
        }
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET),
                "given back again at the reopened handle's close");
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.CONSUMER_OWNER_OFFSET));
    }

    /** The same for a {@code producers=single} file with shared consumers (no turn), and a confined ring. */
    @Test
    void aReleasedRingRefusesTheProducerRoleWithSharedConsumersAndWhenConfined() throws Exception {
        QueueDescriptor d = descriptor("multi").withOption("consumers", "multi");
        ShmOptions o = ShmOptions.of(d);
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        ShmFile.release(o.path(), ring);
        assertClosed(() -> ring.tryOffer(0, held(item(0), new CountDownLatch(1), new CountDownLatch(0)), null));
        assertClosed(() -> ring.tryOfferAll(0,
                new SharedRing.Payload[] {held(item(1), new CountDownLatch(1), new CountDownLatch(0))}));
        assertEquals(0, ring.producerIndex(0), "the refused puts claimed nothing");
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET));

        QueueDescriptor c = descriptor("confined");
        ShmOptions co = ShmOptions.of(c);
        SharedRing confined = ShmFile.acquire(co.path(), co.layout(), co.openTimeoutNanos(), co.stallTimeoutNanos(),
                true);
        ShmFile.release(co.path(), confined);
        assertClosed(() -> confined.tryOffer(0, held(item(0), new CountDownLatch(1), new CountDownLatch(0)), null));
        assertClosed(() -> confined.tryPoll(0, Codecs.bytes(), new SharedRing.Stall()));
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(confined.buf, RingLayout.PRODUCER_OWNER_OFFSET));
        assertEquals(0L, (long) SharedRing.LONG.getAcquire(confined.buf, RingLayout.CONSUMER_OWNER_OFFSET));
    }

    private static void assertClosed(Executable call) {
        QueueClosedException e = assertThrows(QueueClosedException.class, call);
        assertTrue(e.getMessage().contains("is closed (this process's last handle on it closed)"), e.getMessage());
    }

    /** The bytes codec, whose decode holds the thread (holding the consumer turn) until {@code go}. */
    private static Codec<byte[]> holding(CountDownLatch inside, CountDownLatch go) {
        return HeldCalls.bytesCodec("holding-bytes", () -> {
            inside.countDown();
            await(go);
        });
    }

    /** A call on a daemon thread of its own, whose stack the test can look at. */
    private static final class Call<T> {
        final Thread thread;
        final CompletableFuture<T> result = new CompletableFuture<>();

        private Call(String name, Supplier<T> body) {
            thread = new Thread(() -> {
                try {
                    result.complete(body.get());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            }, name);
            thread.setDaemon(true);
        }

        static <T> Call<T> start(String name, Supplier<T> body) {
            Call<T> call = new Call<>(name, body);
            call.thread.start();
            return call;
        }

        /** Waits (bounded) until the thread is inside {@link TurnLock}'s wait for the turn. */
        void awaitWaitingForTheTurn() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            while (Arrays.stream(thread.getStackTrace()).noneMatch(
                    e -> e.getClassName().equals(TurnLock.class.getName()) && e.getMethodName().equals("await"))) {
                assertTrue(!result.isDone(), () -> thread.getName() + " ended without waiting for the turn: "
                        + result);
                assertTrue(System.nanoTime() < deadline, thread.getName() + " never waited for the turn");
                Thread.sleep(1);
            }
        }

        T result() throws Exception {
            return result.get(BOUND_SECONDS, TimeUnit.SECONDS);
        }

        /** What the call threw, or null if it returned; waited for at most the bound. */
        Throwable failure() throws Exception {
            try {
                result.get(BOUND_SECONDS, TimeUnit.SECONDS);
                return null;
            } catch (ExecutionException e) {
                return e.getCause();
            }
        }
    }
}
