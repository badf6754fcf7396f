package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.IdempotencyKey;
import dev.conduit.queue.rpc.proto.Item;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.PutResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import dev.conduit.queue.rpc.proto.SettlePutRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Edge cases of the server and the client against a real QueueServer on loopback: malformed
 * requests, the idempotency window's bounds, broadcast readers, and closing a handle under a get.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpcServerEdgeCasesTest {
    /** A tiny idempotency window, so a test can push a key out of it with a few puts. */
    private static final int KEYS_PER_CLIENT = 2;

    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.with(b -> b.idempotencyWindow(16, KEYS_PER_CLIENT));

    private static QueueRef ref(QueueDescriptor d) {
        return QueueRef.newBuilder().setNamespace(d.namespace()).setId(d.id()).build();
    }

    private static QueueServiceGrpc.QueueServiceBlockingStub blocking() {
        return QueueServiceGrpc.newBlockingStub(LOOPBACK.raw()).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static PutRequest put(QueueDescriptor d, String payload, int priority, String client, long sequence,
            long waitNanos) {
        return PutRequest.newBuilder().setQueue(ref(d))
                .addItems(Item.newBuilder().setPayload(ByteString.copyFromUtf8(payload)).setPriority(priority))
                .setKey(IdempotencyKey.newBuilder().setClientId(client).setSequence(sequence))
                .setWaitNanos(waitNanos).build();
    }

    @Test
    void aPutWhosePriorityOverflowsAnIntIsRefusedAndThePriorityQueueKeepsWorking() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("prio-overflow").withOption("serverType", "priority");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("kept", 7);
            // uint32 priority 4294967295: Java reads it as -1.
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> blocking().put(put(d, "bad", -1, "prio-client", 1, 0)));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
            assertEquals(1, q.size(), "the refused put added nothing");
            q.put("after", 9);
            assertEquals(List.of("after", "kept"), q.getBatch(10, Duration.ofSeconds(5)));
        }
    }

    @Test
    void settlingAPutWhoseKeyLeftTheWindowStillEndsItsWaitForRoom() throws Exception {
        QueueDescriptor full = LOOPBACK.fresh("settle-evicted").withCapacity(1);
        QueueDescriptor other = LOOPBACK.fresh("settle-other");
        try (MessageQueue<String> q = full.open(Codecs.string());
                MessageQueue<String> o = other.open(Codecs.string())) {
            q.put("first");
            o.size();
            String client = "evicting-client";
            QueueServiceGrpc.QueueServiceFutureStub async = QueueServiceGrpc.newFutureStub(LOOPBACK.raw())
                    .withDeadlineAfter(60, TimeUnit.SECONDS);
            ListenableFuture<PutResponse> waiting = async.put(put(full, "waiting", 0, client, 1,
                    TimeUnit.SECONDS.toNanos(50)));
            // The put waits on the server for room; later puts of the same client, on the same
            // connection and so handled after it, push its key out of the window.
            for (int s = 2; s < 2 + KEYS_PER_CLIENT + 1; s++) {
                assertTrue(blocking().put(put(other, "x" + s, 0, client, s, 0)).getAccepted());
            }
            // The client gives up on the waiting put: the server answers "not applied, and never will be".
            boolean applied = blocking().settlePut(SettlePutRequest.newBuilder().setQueue(ref(full))
                    .setKey(IdempotencyKey.newBuilder().setClientId(client).setSequence(1)).build()).getApplied();
            assertFalse(applied, "nothing made room: the put was not applied");
            assertEquals("first", q.get(Duration.ofSeconds(5)));
            boolean added;
            try {
                added = waiting.get(10, TimeUnit.SECONDS).getAccepted();
            } catch (ExecutionException e) {
                added = false;
            }
            assertFalse(added, "a put settled as not applied was applied afterwards");
            assertEquals(0, q.size(), "a put settled as not applied was applied afterwards");
        }
    }

    @Test
    void closingAHandleWhileItsGetIsAnsweredLosesNoItem() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("close-get");
        int trials = 60;
        int lost = 0;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (MessageQueue<String> producer = d.open(Codecs.string())) {
            for (int i = 0; i < trials; i++) {
                MessageQueue<String> consumer = d.open(Codecs.string());
                long waitsBefore = producer.metrics().waits();
                Future<String> got = threads.submit(() -> {
                    try {
                        return consumer.get(Duration.ofSeconds(30));
                    } catch (QueueClosedException closed) {
                        return null;
                    }
                });
                // The get is parked on the server once the server counted its wait.
                long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (producer.metrics().waits() == waitsBefore) {
                    assertTrue(System.nanoTime() < giveUp, "trial " + i + ": the get did not wait on the server; "
                            + "it ended with " + (got.isDone() ? got.get() : "nothing yet"));
                    Thread.onSpinWait();
                }
                CyclicBarrier start = new CyclicBarrier(2);
                String item = "item-" + i;
                Future<?> put = threads.submit(() -> {
                    start.await();
                    producer.put(item);
                    return null;
                });
                start.await();
                consumer.close();
                put.get(10, TimeUnit.SECONDS);
                String taken = got.get(10, TimeUnit.SECONDS);
                List<String> left = producer.getBatch(10, Duration.ZERO);
                if (taken == null && left.isEmpty()) {
                    lost++;
                } else {
                    assertEquals(taken == null ? List.of(item) : List.of(), left, "trial " + i);
                    if (taken != null) {
                        assertEquals(item, taken);
                    }
                }
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(0, lost, lost + " of " + trials + " items put as their consumer's handle closed were taken "
                + "by its get and never delivered");
    }

    @Test
    void aGetOfManyLargeItemsIsAnsweredWithinTheReplyByteBudget() throws Exception {
        int itemBytes = 1 << 20;
        int items = 64;
        QueueDescriptor d = LOOPBACK.fresh("large-items").withCapacity(items);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            for (int i = 0; i < items; i += 8) {
                List<byte[]> batch = new java.util.ArrayList<>();
                for (int j = i; j < i + 8; j++) {
                    byte[] b = new byte[itemBytes];
                    b[0] = (byte) j;
                    batch.add(b);
                }
                q.putAll(batch);
            }
            // A reply stays under the server's 4 MiB budget plus one item: with items of the server's
            // 4 MiB limit, 64 at once would be past the client's 256 MiB inbound limit, and lost.
            int budgetItems = (4 << 20) / itemBytes + 1;
            int next = 0;
            while (next < items) {
                List<byte[]> got = q.getBatch(items, Duration.ofSeconds(5));
                assertFalse(got.isEmpty());
                assertTrue(got.size() <= budgetItems, "one reply carried " + got.size() + " items of " + itemBytes
                        + " bytes");
                for (byte[] b : got) {
                    assertEquals((byte) next++, b[0], "items arrive in order");
                }
            }
            assertEquals(0, q.size());
        }
    }

    @Test
    void aPutWaitingForRoomWhenTheServerStopsIsToldToRetryAgainstItsSuccessor() throws Exception {
        try (QueueServer own = QueueServer.builder().port(0).shutdownGrace(Duration.ofSeconds(1)).start()) {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", own.port(), "stopping").withCapacity(1);
            io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", own.port())
                    .usePlaintext().build();
            try (MessageQueue<String> q = d.open(Codecs.string())) {
                q.put("first");
                ListenableFuture<PutResponse> waiting = QueueServiceGrpc.newFutureStub(channel)
                        .withDeadlineAfter(60, TimeUnit.SECONDS)
                        .put(put(d, "waiting", 0, "stopping-client", 1, TimeUnit.SECONDS.toNanos(50)));
                // Handled once a later call on the same connection has been answered.
                QueueServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .size(dev.conduit.queue.rpc.proto.QueueRequest.newBuilder().setQueue(ref(d)).build());
                assertFalse(waiting.isDone(), "the put waits for room");
                own.close();
                ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
                StatusRuntimeException s = (StatusRuntimeException) e.getCause();
                assertEquals(Status.Code.UNAVAILABLE, s.getStatus().getCode(), s.toString());
                assertEquals(ErrorKind.SHUTTING_DOWN, ErrorKind.of(s), s.toString());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aQueueWhoseServerSideBackendIsMissingFailsWithBackendNotFoundException() throws Exception {
        // The server runs in this JVM: a forced backend class that does not exist makes the server's
        // registry miss the priority type, as a server without queue-priority would.
        String property = "conduit.backend.priority";
        System.setProperty(property, "dev.conduit.queue.rpc.NoSuchBackend");
        try {
            QueueDescriptor d = LOOPBACK.fresh("no-backend").withOption("serverType", "priority");
            dev.conduit.queue.BackendNotFoundException e = assertThrows(
                    dev.conduit.queue.BackendNotFoundException.class, () -> {
                        try (MessageQueue<String> q = d.open(Codecs.string())) {
                            q.put("x");
                        }
                    });
            assertEquals("priority", e.type(), e.toString());
            assertTrue(e.getMessage().contains("conduit.backend.priority"), e.getMessage());
        } finally {
            System.clearProperty(property);
        }
    }

    @Test
    void getsThatTimedOutBehindALongWaitingGetDoNotPileUpOnTheServer() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("pile-up");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.size();
            // One get that waits a long time holds the head of the queue's waiting line.
            ListenableFuture<GetResponse> longGet = QueueServiceGrpc.newFutureStub(LOOPBACK.raw())
                    .withDeadlineAfter(60, TimeUnit.SECONDS).get(GetRequest.newBuilder().setQueue(ref(d)).setMaxItems(1)
                            .setWaitNanos(TimeUnit.SECONDS.toNanos(50)).setCallId("long").build());
            int shortGets = 2000;
            for (int i = 0; i < shortGets; i++) {
                GetResponse r = blocking().get(GetRequest.newBuilder().setQueue(ref(d)).setMaxItems(1)
                        .setWaitNanos(TimeUnit.MICROSECONDS.toNanos(100)).setCallId("short-" + i).build());
                assertEquals(0, r.getItemsCount());
            }
            int waiting = LOOPBACK.server().hosted(d.namespace(), d.id()).reader("").room.waiting();
            assertTrue(waiting < shortGets / 4, waiting + " waiters are held on the server, for "
                    + "one get still waiting and " + shortGets + " gets that timed out");
            q.put("wake");
            assertEquals("wake", longGet.get(10, TimeUnit.SECONDS).getItems(0).toStringUtf8());
        }
    }

    @Test
    void aQueueTooBigForTheServersMemoryIsRefusedClearlyAndTheServerCarriesOn() throws Exception {
        for (boolean broadcast : new boolean[] {false, true}) {
            QueueDescriptor d = LOOPBACK.fresh("huge").withCapacity(1 << 30)
                    .withOption("broadcast", Boolean.toString(broadcast));
            dev.conduit.queue.QueueException e = assertThrows(dev.conduit.queue.QueueException.class, () -> {
                try (MessageQueue<String> q = d.open(Codecs.string())) {
                    q.put("x");
                }
            });
            assertTrue(e.getMessage().contains("capacity " + (1 << 30)), e.toString());
            assertEquals(0, LOOPBACK.server().hosted(d.namespace(), d.id()) == null ? 0 : 1, "no queue was created");
        }
        try (MessageQueue<String> q = LOOPBACK.fresh("after-huge").open(Codecs.string())) {
            q.put("still serving");
            assertEquals("still serving", q.get(Duration.ofSeconds(5)));
        }
    }

    @Test
    void aDescriptorRefusedAtOpenLeavesNoChannelOpen() throws Exception {
        try (QueueServer own = QueueServer.builder().port(0).start()) {
            int before = RpcChannels.openChannels();
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", own.port(), "bad-option")
                    .withOption("backpressure", "SIDEWAYS");
            for (int i = 0; i < 3; i++) {
                assertThrows(IllegalArgumentException.class, () -> {
                    try (MessageQueue<String> q = d.open(Codecs.string())) {
                        q.put("x");
                    }
                });
            }
            assertEquals(before, RpcChannels.openChannels(), "a refused open left its channel open");
        }
    }

    @Test
    void aSubscriberThatCouldNotBeCreatedLeavesNoChannelOpen() throws Exception {
        int before = RpcChannels.openChannels();
        QueueServer own = QueueServer.builder().port(0).start();
        QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", own.port(), "sub-down").withOption("broadcast", "true")
                .withOption("reconnectMillis", "200");
        MessageQueue<String> q = d.open(Codecs.string());
        try {
            q.size();
            own.close();
            assertThrows(ServerUnavailableException.class, () -> q.subscriber("late"));
        } finally {
            q.close();
            own.close();
        }
        assertEquals(before, RpcChannels.openChannels(), "a subscriber that failed to start kept the channel open");
    }

    @Test
    void closingAHandleWhileItsPutIsAppliedNeverReportsTheAddedItemAsNotAdded() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("close-put").withCapacity(1);
        int trials = 60;
        int wrong = 0;
        String firstWrong = null;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (MessageQueue<String> other = d.open(Codecs.string())) {
            for (int i = 0; i < trials; i++) {
                other.put("full-" + i, Duration.ofSeconds(10));
                MessageQueue<String> producer = d.open(Codecs.string());
                producer.size();
                long waitsBefore = other.metrics().waits();
                String item = "item-" + i;
                Future<Boolean> put = threads.submit(() -> {
                    try {
                        producer.put(item);
                        return true;
                    } catch (QueueClosedException closed) {
                        return false;
                    }
                });
                // The put waits on the server for room once the server counted its wait.
                long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (other.metrics().waits() == waitsBefore) {
                    assertTrue(System.nanoTime() < giveUp, "trial " + i + ": the put did not wait on the server; "
                            + "it ended with " + (put.isDone() ? put.get() : "nothing yet"));
                    Thread.onSpinWait();
                }
                CyclicBarrier start = new CyclicBarrier(2);
                Future<String> room = threads.submit(() -> {
                    start.await();
                    return other.get(Duration.ofSeconds(10));
                });
                start.await();
                producer.close();
                assertEquals("full-" + i, room.get(10, TimeUnit.SECONDS));
                boolean added = put.get(10, TimeUnit.SECONDS);
                List<String> left = other.getBatch(10, Duration.ZERO);
                if (added != left.equals(List.of(item)) || left.size() > 1) {
                    wrong++;
                    firstWrong = firstWrong != null ? firstWrong : "trial " + i + ": put " + (added ? "returned"
                            : "threw QueueClosedException") + ", the queue then held " + left;
                }
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(0, wrong, wrong + " of " + trials + " puts whose handle closed as room appeared said one thing "
                + "and did the other; first: " + firstWrong);
    }

    @Test
    void threadsFirstUsingAHandleWhoseServerIsDownAllHearOfItWithinReconnectMillis() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        long reconnectMillis = 1000;
        int threads = 6;
        QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", port, "nobody-home")
                .withOption("reconnectMillis", Long.toString(reconnectMillis));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            CyclicBarrier start = new CyclicBarrier(threads + 1);
            List<Future<Long>> ends = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                ends.add(pool.submit(() -> {
                    start.await();
                    long began = System.nanoTime();
                    assertThrows(ServerUnavailableException.class, () -> q.get(Duration.ofSeconds(60)));
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
                }));
            }
            start.await();
            long slowest = 0;
            for (Future<Long> e : ends) {
                slowest = Math.max(slowest, e.get(60, TimeUnit.SECONDS));
            }
            // Each thread retries for reconnectMillis; they must not do so one after the other.
            assertTrue(slowest < 3 * reconnectMillis, "the last of " + threads + " threads heard of the absent "
                    + "server after " + slowest + " ms (reconnectMillis " + reconnectMillis + ")");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theQueueItselfOfABroadcastQueueReportsTheSizeItsGetsSee() throws Exception {
        QueueDescriptor d = LOOPBACK.fresh("bcast-size").withOption("broadcast", "true").withCapacity(10);
        try (MessageQueue<String> pub = d.open(Codecs.string());
                MessageQueue<String> audit = pub.subscriber("audit")) {
            pub.putAll(List.of("1", "2"));
            try (MessageQueue<String> main = d.open(Codecs.string())) {
                int size = main.size();
                boolean ready = main.awaitNotEmpty(Duration.ZERO);
                List<String> got = main.getBatch(10, Duration.ZERO);
                assertEquals(got.size(), size, "size() said " + size + " but a get found " + got);
                assertEquals(!got.isEmpty(), ready, "awaitNotEmpty said " + ready + " but a get found " + got);
            }
            assertEquals(List.of("1", "2"), audit.getBatch(10, Duration.ofSeconds(1)));
        }
    }
}
