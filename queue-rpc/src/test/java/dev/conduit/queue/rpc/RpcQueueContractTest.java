package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.Transaction;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.Delivery;
import dev.conduit.queue.rpc.proto.IdempotencyKey;
import dev.conduit.queue.rpc.proto.Item;
import dev.conduit.queue.rpc.proto.OpenRequest;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.PutResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import dev.conduit.queue.rpc.proto.SubscribeRequest;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The queue contract through the rpc client against a real QueueServer on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcQueueContractTest {
    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.withDefaults();

    private static QueueDescriptor fresh(String name) {
        return LOOPBACK.fresh(name);
    }

    @Test
    void itemsComeBackInFifoOrderSinglyAndInBatches() throws Exception {
        try (MessageQueue<String> q = fresh("fifo").open(Codecs.string())) {
            q.put("a");
            q.putAll(List.of("b", "c", "d"));
            q.put("e", Duration.ofSeconds(1));
            assertEquals("a", q.get());
            assertEquals(List.of("b", "c"), q.getBatch(2, Duration.ofSeconds(1)));
            assertEquals(List.of("d", "e"), q.getBatch(10, Duration.ofSeconds(1)));
            assertTrue(q.getBatch(10, Duration.ofMillis(10)).isEmpty());
        }
    }

    @Test
    void aSerializedDescriptorOpensTheSameServerQueue() throws Exception {
        QueueDescriptor d = fresh("json");
        try (MessageQueue<String> a = d.open(Codecs.string());
                MessageQueue<String> b = QueueDescriptor.fromJson(d.toJson()).open(Codecs.string())) {
            a.put("through-json");
            assertEquals("through-json", b.get(Duration.ofSeconds(5)));
        }
    }

    @Test
    void getWaitsOnTheServerUntilAnotherHandlePuts() throws Exception {
        QueueDescriptor d = fresh("wait");
        try (MessageQueue<String> consumer = d.open(Codecs.string());
                MessageQueue<String> producer = d.open(Codecs.string())) {
            assertEquals(0, consumer.size());
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return consumer.get(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertFalse(got.isDone(), "the get must wait while the queue is empty");
            producer.put("wake");
            assertEquals("wake", got.get(10, TimeUnit.SECONDS));
            assertTrue(producer.metrics().waits() >= 1, "the server counted the waiting get");
        }
    }

    @Test
    void getTimesOutOnTheServerCloseToItsDeadline() throws Exception {
        try (MessageQueue<String> q = fresh("timeout").open(Codecs.string())) {
            q.size();
            long start = System.nanoTime();
            assertThrows(QueueEmptyException.class, () -> q.get(Duration.ofMillis(300)));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 290, "returned after " + ms + " ms, before the timeout");
            assertTrue(ms < 1500, "returned after " + ms + " ms: the timeout was not honoured");
            assertThrows(QueueEmptyException.class, q::getNowait);
            assertTrue(q.poll().isEmpty());
        }
    }

    @Test
    void aPutIntoAFullQueueWaitsOnTheServerForRoom() throws Exception {
        try (MessageQueue<String> q = fresh("full").withCapacity(2).open(Codecs.string())) {
            q.put("1");
            q.put("2");
            assertTrue(q.isFull());
            assertFalse(q.offer("x"));
            assertThrows(QueueFullException.class, () -> q.putNowait("x"));
            assertThrows(QueueFullException.class, () -> q.put("x", Duration.ofMillis(100)));
            CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                try {
                    q.put("3", Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(200);
            assertFalse(blocked.isDone());
            assertEquals("1", q.get());
            blocked.get(10, TimeUnit.SECONDS);
            assertEquals(List.of("2", "3"), q.getBatch(5, Duration.ofSeconds(1)));
            assertTrue(q.metrics().rejected() >= 3);
        }
    }

    @Test
    void priorityServerTypeDeliversHigherPrioritiesFirst() throws Exception {
        QueueDescriptor d = fresh("prio").withOption("serverType", "priority");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            assertTrue(q.capabilities().contains(Capability.PRIORITY));
            q.put("low", 1);
            q.put("mid-a", 100);
            q.put("high", 255);
            q.put("mid-b", 100);
            assertEquals(List.of("high", "mid-a", "mid-b", "low"), q.getBatch(10, Duration.ofSeconds(1)));
        }
    }

    @Test
    void transactionsCommitAtomicallyAndDiscardOnFailure() throws Exception {
        try (MessageQueue<String> q = fresh("tx").open(Codecs.string())) {
            q.transaction(tx -> {
                tx.put("t1");
                tx.put("t2");
            });
            assertThrows(IllegalStateException.class, () -> q.transaction(tx -> {
                tx.put("never");
                throw new IllegalStateException("body failed");
            }));
            try (Transaction<String> tx = q.beginTransaction()) {
                tx.put("rolled-back");
            }
            assertEquals(2, q.size());
            assertEquals(List.of("t1", "t2"), q.getBatch(10, Duration.ofSeconds(1)));
        }
    }

    @Test
    void peekSizeClearAndMetricsReportTheServerQueue() throws Exception {
        try (MessageQueue<byte[]> q = fresh("state").withCapacity(10).open(Codecs.bytes())) {
            assertTrue(q.peek().isEmpty());
            q.putAll(List.of(new byte[64], new byte[64], new byte[64]));
            assertEquals(64, q.peek().orElseThrow().length);
            assertEquals(3, q.size());
            assertEquals(10, q.capacity());
            q.get();
            QueueMetrics m = q.metrics();
            assertEquals(2, m.size());
            assertEquals(3, m.puts());
            assertEquals(1, m.gets());
            assertEquals(192, m.bytesIn());
            assertEquals(64, m.bytesOut());
            assertTrue(m.maxItemBytes() > 0);
            assertEquals(0.2, m.utilization(), 1e-9);
            assertEquals(2, q.clear());
            assertTrue(q.isEmpty());
        }
    }

    @Test
    void listQueuesReportsEveryQueueOfTheNamespaceWithMetrics() throws Exception {
        QueueDescriptor a = fresh("list-a").withNamespace("listing");
        QueueDescriptor b = fresh("list-b").withNamespace("listing");
        try (MessageQueue<String> qa = a.open(Codecs.string()); MessageQueue<String> qb = b.open(Codecs.string())) {
            qa.put("x");
            qb.putAll(List.of("y", "z"));
            List<RemoteQueueInfo> infos = RpcBackend.listQueues(a);
            assertEquals(2, infos.size());
            assertEquals(a.id(), infos.get(0).descriptor().id());
            assertEquals("local", infos.get(0).serverType());
            assertEquals(1, infos.get(0).metrics().size());
            assertEquals(2, infos.get(1).metrics().size());
        }
    }

    @Test
    void destroyRemovesTheServerQueueAndTheNextHandleStartsEmpty() throws Exception {
        QueueDescriptor d = fresh("destroy");
        MessageQueue<String> q = d.open(Codecs.string());
        q.put("gone");
        int before = LOOPBACK.server().queueCount();
        q.destroy();
        assertEquals(before - 1, LOOPBACK.server().queueCount());
        try (MessageQueue<String> again = d.open(Codecs.string())) {
            assertEquals(0, again.size());
        }
    }

    @Test
    void broadcastSubscribersEachSeeEveryItemAndANamedSubscriberResumes() throws Exception {
        QueueDescriptor d = fresh("bcast").withOption("broadcast", "true").withCapacity(100);
        try (MessageQueue<String> pub = d.open(Codecs.string())) {
            assertTrue(pub.capabilities().contains(Capability.BROADCAST));
            MessageQueue<String> alice = pub.subscriber("alice");
            MessageQueue<String> bob = pub.subscriber("bob");
            assertEquals(0, alice.size());
            assertEquals(0, bob.size());
            pub.putAll(List.of("1", "2", "3"));
            assertEquals(List.of("1", "2", "3"), alice.getBatch(10, Duration.ofSeconds(1)));
            assertEquals("1", bob.get(Duration.ofSeconds(1)));
            bob.close();
            try (MessageQueue<String> pub2 = QueueDescriptor.fromJson(d.toJson()).open(Codecs.string());
                    MessageQueue<String> bobAgain = pub2.subscriber("bob")) {
                assertEquals(List.of("2", "3"), bobAgain.getBatch(10, Duration.ofSeconds(1)));
            }
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return alice.get(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(100);
            pub.put("4");
            assertEquals("4", waiting.get(10, TimeUnit.SECONDS));
            alice.close();
        }
    }

    @Test
    void putAsyncThroughASubscribersHandleWaitsForRoomOnABlockingQueue() throws Exception {
        QueueDescriptor d = fresh("bcast-async").withOption("broadcast", "true").withCapacity(2);
        try (MessageQueue<String> pub = d.open(Codecs.string())) {
            MessageQueue<String> erin = pub.subscriber("erin");
            pub.putAll(List.of("1", "2"));
            // erin has read nothing, so the queue is full for her: a put waits for room (BLOCK).
            CompletableFuture<Void> put = erin.putAsync("3");
            Thread.sleep(100);
            assertFalse(put.isDone(), "putAsync on a full blocking queue must wait, not fail: " + put);
            assertEquals("1", erin.get(Duration.ofSeconds(5)));
            put.get(10, TimeUnit.SECONDS);
            assertEquals(List.of("2", "3"), erin.getBatch(10, Duration.ofSeconds(1)));
            erin.close();
        }
    }

    @Test
    void aNamedSubscribersPublisherStreamsEveryItemAndResumesInAnotherHandle() throws Exception {
        QueueDescriptor d = fresh("bcast-stream").withOption("broadcast", "true").withCapacity(1_000);
        try (MessageQueue<String> pub = d.open(Codecs.string())) {
            MessageQueue<String> carol = pub.subscriber("carol");
            MessageQueue<String> dave = pub.subscriber("dave");
            assertEquals(0, carol.size());
            assertEquals(0, dave.size());
            LinkedBlockingQueue<String> streamed = new LinkedBlockingQueue<>();
            AtomicInteger requested = new AtomicInteger();
            java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Flow.Subscription> subscription =
                    new java.util.concurrent.atomic.AtomicReference<>();
            carol.asPublisher().subscribe(new java.util.concurrent.Flow.Subscriber<>() {
                @Override
                public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                    subscription.set(s);
                    requested.set(5);
                    s.request(5);
                }

                @Override
                public void onNext(String item) {
                    streamed.add(item);
                }

                @Override
                public void onError(Throwable t) {
                    streamed.add("error: " + t);
                }

                @Override
                public void onComplete() {
                }
            });
            for (int i = 0; i < 8; i++) {
                pub.putAsync(Integer.toString(i)).get(10, TimeUnit.SECONDS);
            }
            List<String> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                first.add(streamed.poll(10, TimeUnit.SECONDS));
            }
            assertEquals(List.of("0", "1", "2", "3", "4"), first, "the stream delivers in order, as requested");
            assertEquals(null, streamed.poll(300, TimeUnit.MILLISECONDS), "nothing beyond what was requested");
            subscription.get().cancel();
            carol.close();
            // Every subscriber sees every item: dave from the start, carol from where its stream stopped.
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), dave.getBatch(100, Duration.ofSeconds(5)));
            try (MessageQueue<String> pub2 = QueueDescriptor.fromJson(d.toJson()).open(Codecs.string());
                    MessageQueue<String> carolAgain = pub2.subscriber("carol")) {
                assertEquals(List.of("5", "6", "7"), carolAgain.getBatch(100, Duration.ofSeconds(5)));
            }
            dave.close();
        }
    }

    @Test
    void pipelinedPutAsyncItemsArriveOnceEachInCallOrder() throws Exception {
        int items = 5_000;
        try (MessageQueue<String> producer = fresh("pipelined").withCapacity(items).open(Codecs.string());
                MessageQueue<String> consumer = QueueDescriptor.fromJson(producer.descriptor().toJson())
                        .open(Codecs.string())) {
            List<CompletableFuture<Void>> acks = new ArrayList<>(items);
            for (int i = 0; i < items; i++) {
                acks.add(producer.putAsync(Integer.toString(i)));
            }
            CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            assertEquals(items, producer.size());
            List<String> got = new ArrayList<>(items);
            while (got.size() < items) {
                List<String> batch = consumer.getBatch(items, Duration.ofSeconds(5));
                assertFalse(batch.isEmpty(), "only " + got.size() + " of " + items + " items arrived");
                got.addAll(batch);
            }
            for (int i = 0; i < items; i++) {
                assertEquals(Integer.toString(i), got.get(i), "item " + i);
            }
            assertTrue(consumer.poll().isEmpty(), "an item arrived twice");
        }
    }

    @Test
    void aNonBroadcastQueueRefusesSubscribers() throws Exception {
        try (MessageQueue<String> q = fresh("nobcast").open(Codecs.string())) {
            assertThrows(UnsupportedOperationException.class, () -> q.subscriber("x"));
        }
    }

    @Test
    void aPutRetriedWithTheSameKeyIsAppliedOnce() throws Exception {
        QueueDescriptor d = fresh("idem");
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            q.size();
            QueueServiceGrpc.QueueServiceBlockingStub stub = QueueServiceGrpc.newBlockingStub(LOOPBACK.raw())
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            PutRequest put = PutRequest.newBuilder()
                    .setQueue(QueueRef.newBuilder().setNamespace(d.namespace()).setId(d.id()))
                    .addItems(Item.newBuilder().setPayload(ByteString.copyFromUtf8("once")))
                    .setKey(IdempotencyKey.newBuilder().setClientId("retrying-client").setSequence(7))
                    .build();
            PutResponse first = stub.put(put);
            PutResponse second = stub.put(put);
            assertTrue(first.getAccepted());
            assertFalse(first.getDuplicate());
            assertTrue(second.getAccepted());
            assertTrue(second.getDuplicate());
            assertEquals(1, q.size());
            stub.put(put.toBuilder().setKey(put.getKey().toBuilder().setSequence(8)).build());
            assertEquals(2, q.size());
        }
    }

    @Test
    void aSlowSubscriberHoldsOnlyAFlowControlWindowOfItemsOnTheServer() throws Exception {
        int items = 2000;
        int itemBytes = 8192;
        QueueDescriptor d = fresh("flow").withCapacity(items);
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            List<byte[]> batch = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                byte[] b = new byte[itemBytes];
                b[0] = (byte) i;
                b[1] = (byte) (i >> 8);
                batch.add(b);
                if (batch.size() == 250) {
                    q.putAll(batch);
                    batch.clear();
                }
            }
            LinkedBlockingQueue<Delivery> received = new LinkedBlockingQueue<>();
            CountDownLatch closed = new CountDownLatch(1);
            ClientCall<SubscribeRequest, Delivery> call = LOOPBACK.raw().newCall(QueueServiceGrpc.getSubscribeMethod(),
                    io.grpc.CallOptions.DEFAULT.withDeadlineAfter(50, TimeUnit.SECONDS));
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(Delivery message) {
                    received.add(message);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.countDown();
                }
            }, new Metadata());
            call.sendMessage(SubscribeRequest.newBuilder()
                    .setQueue(QueueRef.newBuilder().setNamespace(d.namespace()).setId(d.id())).build());
            call.halfClose();
            call.request(10);
            // Give the server every chance to over-send.
            Thread.sleep(1500);
            int leftOnServer = q.size();
            // At most the HTTP/2 windows (about 1 MiB each way) plus one step may have left the queue.
            assertTrue(leftOnServer >= items - 400, "the server took " + (items - leftOnServer)
                    + " items for a subscriber that asked for 10");
            call.request(items);
            for (int i = 0; i < items; i++) {
                Delivery m = received.poll(20, TimeUnit.SECONDS);
                assertTrue(m != null, "item " + i + " did not arrive");
                byte[] b = m.getPayload().toByteArray();
                assertEquals(i, (b[0] & 0xff) | ((b[1] & 0xff) << 8), "items arrive in order");
            }
            call.cancel("done", null);
            assertTrue(closed.await(10, TimeUnit.SECONDS));
            assertEquals(0, q.size());
        }
    }

    @Test
    void interruptingABlockingGetEndsItAndTakesNothing() throws Exception {
        try (MessageQueue<String> q = fresh("interrupt").open(Codecs.string())) {
            q.size();
            ExecutorService ex = Executors.newSingleThreadExecutor();
            try {
                Future<?> f = ex.submit(() -> {
                    q.get();
                    return null;
                });
                Thread.sleep(300);
                f.cancel(true);
                Thread.sleep(300);
                q.put("kept");
                assertEquals("kept", q.get(Duration.ofSeconds(5)));
            } finally {
                ex.shutdownNow();
            }
        }
    }

    @Test
    void handlesToOneServerShareOneChannelClosedWithTheLastHandle() throws Exception {
        try (QueueServer own = QueueServer.builder().port(0).start()) {
            int before = RpcChannels.openChannels();
            MessageQueue<String> a = QueueDescriptor.rpc("127.0.0.1", own.port(), "share-a").open(Codecs.string());
            MessageQueue<String> b = QueueDescriptor.rpc("127.0.0.1", own.port(), "share-b").open(Codecs.string());
            a.put("x");
            b.put("y");
            assertEquals(before + 1, RpcChannels.openChannels());
            a.close();
            assertEquals(before + 1, RpcChannels.openChannels());
            b.close();
            assertEquals(before, RpcChannels.openChannels());
        }
    }

    @Test
    void theHealthServiceReportsServing() {
        HealthCheckResponse r = HealthGrpc.newBlockingStub(LOOPBACK.raw()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService(QueueServer.SERVICE_NAME).build());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
    }

    @Test
    void aDescriptorThatDisagreesWithTheHostedQueueIsRefused() throws Exception {
        QueueDescriptor d = fresh("clash").withCapacity(5);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("kept");
            MessageQueue<String> other = d.withCapacity(6).open(Codecs.string());
            assertThrows(IllegalArgumentException.class, other::size);
            assertEquals(1, q.size());
        }
        OpenRequest bogus = OpenRequest.newBuilder().setQueue(QueueRef.newBuilder().setNamespace("default")
                .setId("x")).setDescriptorJson("{not json").build();
        io.grpc.StatusRuntimeException e = assertThrows(io.grpc.StatusRuntimeException.class, () ->
                QueueServiceGrpc.newBlockingStub(LOOPBACK.raw()).withDeadlineAfter(5, TimeUnit.SECONDS).open(bogus));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
}
