package dev.conduit.queue.rpc;

import static dev.conduit.queue.rpc.RpcTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueRequest;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A get whose call is cancelled (its client cancels it, its deadline passes, its channel shuts
 * down) after the server has taken items for it and before it answers, against a real QueueServer
 * on loopback.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpcCancelledGetTest {
    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.withDefaults();

    private static final int TRIALS = 20;
    private static final int ITEMS = 100;
    /** Finer than the shared 1 ms default: this test has always polled every 100 µs. */
    private static final Duration POLL = Duration.of(100, ChronoUnit.MICROS);

    private static QueueRef ref(QueueDescriptor d) {
        return QueueRef.newBuilder().setNamespace(d.namespace()).setId(d.id()).build();
    }

    private static List<String> payloads(GetResponse r) {
        List<String> out = new ArrayList<>();
        byte[] all = r.getBlock().getPayloads().toByteArray();
        int pos = 0;
        for (int len : r.getBlock().getLengthsList()) {
            out.add(new String(all, pos, len, StandardCharsets.UTF_8));
            pos += len;
        }
        return out;
    }

    /** @return whether some thread is blocked entering {@code monitor} */
    private static boolean someoneBlockedOn(Object monitor) {
        int id = System.identityHashCode(monitor);
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (t.getThreadState() == Thread.State.BLOCKED && t.getLockInfo() != null
                    && t.getLockInfo().getIdentityHashCode() == id) {
                return true;
            }
        }
        return false;
    }

    /**
     * A get waits on the server; items arrive and the dispatcher that serves the get is held after
     * it claimed the get and while it takes the items (on the reader's given-back line, whose lock
     * the test holds), so the get's call can be cancelled, and the cancellation reach the server,
     * after the server took the items and before it answers. The server then knows the answer
     * cannot be delivered: the items must stay in the queue, in order.
     */
    @Test
    void itemsTakenForAGetWhoseCallIsCancelledBeforeTheAnswerStayInTheQueue() throws Exception {
        // The get travels on a connection of its own: a call made on it after the cancellation is
        // handled after the server has seen the cancellation (same connection, frames in order).
        ManagedChannel getChannel = ManagedChannelBuilder.forAddress("127.0.0.1", LOOPBACK.server().port())
                .usePlaintext().build();
        Field returnedField = HostedQueue.Reader.class.getDeclaredField("returned");
        returnedField.setAccessible(true);
        List<String> expected = new ArrayList<>();
        List<byte[]> storeItems = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            expected.add(Integer.toString(i));
            if (i > 0) {
                storeItems.add(expected.get(i).getBytes(StandardCharsets.UTF_8));
            }
        }
        int[] priorities = new int[storeItems.size()];
        int lostTrials = 0;
        List<String> failures = new ArrayList<>();
        try {
            for (int trial = 0; trial < TRIALS; trial++) {
                QueueDescriptor d = LOOPBACK.fresh("cancelled-get").withCapacity(ITEMS);
                try (MessageQueue<String> q = d.open(Codecs.string())) {
                    q.size();
                    HostedQueue hosted = LOOPBACK.server().hosted(d.namespace(), d.id());
                    HostedQueue.Reader reader = hosted.reader("");
                    ListenableFuture<GetResponse> get = QueueServiceGrpc.newFutureStub(getChannel)
                            .withDeadlineAfter(60, TimeUnit.SECONDS).get(GetRequest.newBuilder().setQueue(ref(d))
                                    .setMaxItems(ITEMS).setWaitNanos(TimeUnit.SECONDS.toNanos(50)).setPacked(true)
                                    .build());
                    // Answered after the get's handler returned (it parked the get and tried once).
                    QueueServiceGrpc.newBlockingStub(getChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .size(QueueRequest.newBuilder().setQueue(ref(d)).build());
                    await(() -> reader.room.waiting() == 1, "the get waits on the server", POLL);
                    Object returned = returnedField.get(reader);
                    Thread putter;
                    synchronized (returned) {
                        // Item 0 was given back by some client, items 1.. are put: the server's
                        // dispatcher claims the waiting get and blocks taking item 0.
                        reader.giveBack(List.of(expected.get(0).getBytes(StandardCharsets.UTF_8)));
                        putter = new Thread(() -> {
                            try {
                                hosted.offer(storeItems, priorities, 0);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }, "cancelled-get-putter");
                        putter.start();
                        await(() -> someoneBlockedOn(returned), "the dispatcher takes items for the get", POLL);
                        get.cancel(true);
                        // Answered after the server handled the cancellation (same connection).
                        QueueServiceGrpc.newBlockingStub(getChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                                .size(QueueRequest.newBuilder().setQueue(ref(d)).build());
                    }
                    putter.join(TimeUnit.SECONDS.toMillis(20));
                    await(() -> reader.room.waiting() == 0, "the dispatcher is done with the get", POLL);
                    List<String> seen = new ArrayList<>();
                    try {
                        seen.addAll(payloads(get.get(10, TimeUnit.SECONDS)));
                    } catch (CancellationException | ExecutionException e) {
                        // Cancelled: it delivered nothing.
                    }
                    int delivered = seen.size();
                    for (;;) {
                        GetResponse rest = QueueServiceGrpc.newBlockingStub(LOOPBACK.raw())
                                .withDeadlineAfter(10, TimeUnit.SECONDS).get(GetRequest.newBuilder()
                                        .setQueue(ref(d)).setMaxItems(ITEMS).setPacked(true).build());
                        if (rest.getBlock().getLengthsCount() == 0) {
                            break;
                        }
                        seen.addAll(payloads(rest));
                    }
                    if (seen.size() < ITEMS) {
                        lostTrials++;
                    }
                    if (!seen.equals(expected) && failures.size() < 3) {
                        failures.add("trial " + trial + ": " + delivered + " delivered, " + (seen.size() - delivered)
                                + " left in the queue, of " + ITEMS + " put: " + seen);
                    }
                    q.destroy();
                }
            }
        } finally {
            getChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertEquals(0, lostTrials, "items were lost in " + lostTrials + " of " + TRIALS + " trials: " + failures);
        assertTrue(failures.isEmpty(), "items delivered twice or out of order: " + failures);
    }
}
