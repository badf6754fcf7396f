package dev.conduit.queue.shm;

import static dev.conduit.queue.shm.HeldCalls.BOUND_SECONDS;
import static dev.conduit.queue.shm.HeldCalls.held;
import static dev.conduit.queue.shm.HeldCalls.within;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a one-to-one file ({@code producers=single}, {@code consumers=single}), the producer role is
 * not given back while a put of this process is still writing. The last handle's close gave the role
 * back at once, while another thread's put held the producer turn with its item half written;
 * another process could take the role then, and the two wrote the ring at once (the new producer
 * starts from the producer index the put had already moved, and tombstones its unpublished claim,
 * over which the put then published). The consumer side already waited for the consumer turn.
 *
 * <p>The put is a thread of this process held inside the real put path (its payload's copy); the
 * other process is a live process named in a users-table entry. Every wait is bounded.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RoleReleaseDuringAPutTest {
    /** Far longer than the role's give-back takes when nothing holds the turn. */
    private static final long WATCH_MILLIS = 300;

    @TempDir
    Path dir;

    @RegisterExtension
    final HeldCalls calls = new HeldCalls();

    private static byte[] item(int n) {
        return HeldCalls.item(0x201EL, n);
    }

    @Test
    void theProducerRoleIsGivenBackOnlyOnceAPutThatHoldsTheTurnHasPublished() throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("release").withNamespace("role-release").withCapacity(8)
                .withOption("dir", dir.toString()).withOption("itemSize", "64").withOption("producers", "single")
                .withOption("consumers", "single");
        ShmOptions o = ShmOptions.of(d);
        Process other = new ProcessBuilder("sleep", "600").start();
        int otherUser = RingLayout.MAX_USERS - 1;
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
            try {
                // Another live process, named by a users-table entry this process does not use.
                int e = RingLayout.userOffset(otherUser);
                SharedRing.LONG.setRelease(ring.buf, e + RingLayout.USER_START,
                        other.info().startInstant().orElseThrow().toEpochMilli());
                SharedRing.LONG.setRelease(ring.buf, e + RingLayout.USER_GENERATION, 1L);
                SharedRing.LONG.setRelease(ring.buf, e + RingLayout.USER_PID, other.pid());
                long otherTag = RingLayout.tag(0, otherUser, 1);

                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch go = new CountDownLatch(1);
                CompletableFuture<Integer> put = CompletableFuture.supplyAsync(
                        () -> ring.tryOffer(0, held(item(0), inside, go), null), calls.threads());
                assertTrue(inside.await(BOUND_SECONDS, TimeUnit.SECONDS), "the put holds the producer turn");
                // The process's last handle closes now (ShmFile.release gives the role back).
                CompletableFuture<Void> release =
                        CompletableFuture.runAsync(ring::releaseProducerRole, calls.threads());
                Thread.sleep(WATCH_MILLIS);
                boolean releasedMidPut = release.isDone();
                if (releasedMidPut) {
                    // What another process may do the moment the role is free: take it.
                    SharedRing.LONG.compareAndSet(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET, 0L, otherTag);
                }
                go.countDown();
                assertEquals(SharedRing.OK, within(put));
                within(release);
                assertFalse(releasedMidPut, "the role was given back while a put was still writing (another"
                        + " process could then produce beside it)");
                assertEquals(0L, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET),
                        "the role is free once the put published");

                // Another process takes the role. The role was given back on this ring (as when the last
                // handle closes, after which the ring is attached no more): a later put on it is refused
                // as a call on a closed handle, not written beside that process, and leaves its role alone.
                assertTrue(SharedRing.LONG.compareAndSet(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET, 0L, otherTag));
                QueueClosedException refused = assertThrows(QueueClosedException.class,
                        () -> ring.tryOffer(0, held(item(1), new CountDownLatch(1), new CountDownLatch(0)), null));
                assertTrue(refused.getMessage().contains("is closed"), refused.getMessage());
                assertEquals(1, ring.producerIndex(0), "the refused put claimed nothing");
                assertEquals(otherTag, (long) SharedRing.LONG.getAcquire(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET),
                        "the other process still holds the role");
                SharedRing.LONG.setRelease(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET, 0L);

                assertArrayEquals(item(0), q.get(Duration.ofSeconds(BOUND_SECONDS)), "the put is delivered");
                assertTrue(q.poll().isEmpty(), "delivered once");
            } finally {
                SharedRing.LONG.setRelease(ring.buf, RingLayout.PRODUCER_OWNER_OFFSET, 0L);
                ShmFile.release(o.path(), ring);
            }
        } finally {
            other.destroyForcibly();
            other.waitFor(BOUND_SECONDS, TimeUnit.SECONDS);
        }
    }
}
