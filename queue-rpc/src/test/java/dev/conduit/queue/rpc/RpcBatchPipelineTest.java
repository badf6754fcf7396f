package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.IdempotencyKey;
import dev.conduit.queue.rpc.proto.ItemBlock;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.PutResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pipelined batches ({@code putAllAsync}) and the packed wire form of batches, against a real
 * QueueServer on loopback.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcBatchPipelineTest {
    private static final int MAX_ITEM_BYTES = 1024;
    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.with(b -> b.maxItemBytes(MAX_ITEM_BYTES));

    private static QueueDescriptor fresh(String name) {
        return LOOPBACK.fresh(name);
    }

    private static List<String> batch(String producer, int batch, int size) {
        List<String> items = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            items.add(producer + ":" + batch + ":" + i);
        }
        return items;
    }

    private static List<String> drain(MessageQueue<String> q, int items) throws InterruptedException {
        List<String> got = new ArrayList<>(items);
        while (got.size() < items) {
            List<String> some = q.getBatch(1_000, Duration.ofSeconds(5));
            assertFalse(some.isEmpty(), "only " + got.size() + " of " + items + " items arrived");
            got.addAll(some);
        }
        return got;
    }

    @Test
    void putAllAsyncBatchesArriveWholeOnceEachInCallOrder() throws Exception {
        int batches = 200;
        int size = 25;
        QueueDescriptor d = fresh("batches").withCapacity(batches * size * 2);
        try (MessageQueue<String> a = d.open(Codecs.string()); MessageQueue<String> b = d.open(Codecs.string());
                MessageQueue<String> consumer = d.open(Codecs.string())) {
            List<CompletableFuture<Void>> acks = Collections.synchronizedList(new ArrayList<>());
            Thread other = new Thread(() -> {
                for (int i = 0; i < batches; i++) {
                    acks.add(b.putAllAsync(batch("b", i, size)));
                }
            });
            other.start();
            for (int i = 0; i < batches; i++) {
                acks.add(a.putAllAsync(batch("a", i, size)));
            }
            other.join(TimeUnit.SECONDS.toMillis(30));
            CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            List<String> got = drain(consumer, 2 * batches * size);
            assertTrue(consumer.poll().isEmpty(), "an item arrived twice");
            // Each batch is contiguous and each producer's batches come in call order.
            int[] next = new int[2];
            for (int at = 0; at < got.size(); at += size) {
                String[] first = got.get(at).split(":");
                int producer = first[0].equals("a") ? 0 : 1;
                assertEquals(next[producer], Integer.parseInt(first[1]), "batch order of producer " + first[0]);
                assertEquals(batch(first[0], next[producer], size), got.subList(at, at + size),
                        "batch " + next[producer] + " of producer " + first[0] + " is whole and contiguous");
                next[producer]++;
            }
            assertEquals(batches, next[0]);
            assertEquals(batches, next[1]);
        }
    }

    @Test
    void aPutAllAsyncLargerThanOnePipelinedBatchTravelsWhole() throws Exception {
        int big = 3 * RpcStore.PIPELINE_MAX_BATCH_ITEMS;
        try (MessageQueue<String> q = fresh("big").withCapacity(big + 10).open(Codecs.string())) {
            CompletableFuture<Void> before = q.putAsync("before");
            CompletableFuture<Void> whole = q.putAllAsync(batch("x", 0, big));
            CompletableFuture<Void> after = q.putAsync("after");
            CompletableFuture.allOf(before, whole, after).get(30, TimeUnit.SECONDS);
            List<String> got = drain(q, big + 2);
            List<String> expected = new ArrayList<>();
            expected.add("before");
            expected.addAll(batch("x", 0, big));
            expected.add("after");
            assertEquals(expected, got);
        }
    }

    @Test
    void aPutAllAsyncIntoAFullQueueWaitsForRoomForAllOfIt() throws Exception {
        try (MessageQueue<String> q = fresh("full").withCapacity(10).open(Codecs.string())) {
            q.putAll(batch("old", 0, 8));
            CompletableFuture<Void> f = q.putAllAsync(batch("new", 0, 5));
            Thread.sleep(300);
            assertFalse(f.isDone(), "a batch of 5 must wait while only 2 slots are free");
            assertEquals(8, q.size(), "nothing of the waiting batch is visible");
            assertEquals(batch("old", 0, 3), q.getBatch(3, Duration.ofSeconds(5)));
            f.get(10, TimeUnit.SECONDS);
            List<String> rest = new ArrayList<>(batch("old", 0, 8).subList(3, 8));
            rest.addAll(batch("new", 0, 5));
            assertEquals(rest, drain(q, 10));
        }
    }

    @Test
    void aPutAllAsyncWithAnItemOverTheLimitFailsAndAddsNothing() throws Exception {
        try (MessageQueue<byte[]> q = fresh("large").open(Codecs.bytes())) {
            CompletableFuture<Void> f = q.putAllAsync(List.of(new byte[8], new byte[MAX_ITEM_BYTES + 1]));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(ItemTooLargeException.class, e.getCause());
            assertEquals(0, q.size());
            q.putAllAsync(List.of(new byte[MAX_ITEM_BYTES])).get(10, TimeUnit.SECONDS);
            assertEquals(1, q.size());
        }
    }

    @Test
    void closingTheHandleFailsAWaitingPutAllAsyncAndAddsNothing() throws Exception {
        QueueDescriptor d = fresh("close").withCapacity(4);
        try (MessageQueue<String> other = d.open(Codecs.string())) {
            MessageQueue<String> q = d.open(Codecs.string());
            q.putAll(batch("old", 0, 3));
            CompletableFuture<Void> f = q.putAllAsync(batch("new", 0, 2));
            Thread.sleep(300);
            assertFalse(f.isDone(), "the batch waits for room on the server");
            q.close();
            assertTrue(f.isDone(), "close settles the batch with the server before it returns");
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(QueueClosedException.class, e.getCause());
            other.get(Duration.ofSeconds(5));
            Thread.sleep(300);
            assertEquals(batch("old", 0, 3).subList(1, 3), other.getBatch(10, Duration.ofSeconds(5)),
                    "the cancelled batch added nothing, even once there was room");
        }
    }

    @Test
    void closingTheHandleAsRoomAppearsReportsWhatTheServerDidWithAWaitingPutAllAsync() throws Exception {
        QueueDescriptor d = fresh("close-race").withCapacity(4);
        try (MessageQueue<String> other = d.open(Codecs.string())) {
            MessageQueue<String> q = d.open(Codecs.string());
            q.putAll(batch("old", 0, 4));
            CompletableFuture<Void> f = q.putAllAsync(batch("new", 0, 2));
            Thread.sleep(200);
            assertFalse(f.isDone(), "the batch waits for room on the server");
            // Room appears as the handle closes: the server may apply the batch before the close
            // reaches it, and the future must then say so.
            CompletableFuture<List<String>> taken = CompletableFuture.supplyAsync(() -> {
                try {
                    return other.getBatch(2, Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            q.close();
            assertTrue(f.isDone(), "close settles the batch with the server before it returns");
            List<String> rest = new ArrayList<>(taken.get(10, TimeUnit.SECONDS));
            assertEquals(batch("old", 0, 4).subList(0, rest.size()), rest);
            rest.addAll(other.getBatch(10, Duration.ofMillis(300)));
            List<String> expected = new ArrayList<>(batch("old", 0, 4));
            try {
                f.get(10, TimeUnit.SECONDS);
                expected.addAll(batch("new", 0, 2));
            } catch (ExecutionException e) {
                assertInstanceOf(QueueClosedException.class, e.getCause());
            }
            assertEquals(expected, rest, "the queue holds the batch if and only if its future succeeded");
        }
    }

    private static QueueRef ref(QueueDescriptor d) {
        return QueueRef.newBuilder().setNamespace(d.namespace()).setId(d.id()).build();
    }

    private static PutRequest packedPut(QueueDescriptor d, long sequence, ItemBlock block) {
        return PutRequest.newBuilder().setQueue(ref(d)).setBlock(block).setKey(IdempotencyKey.newBuilder()
                .setClientId("raw-" + d.id()).setSequence(sequence)).build();
    }

    private static ByteString utf8(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    @Test
    void aMalformedBlockIsRefusedWithInvalidArgumentAndAddsNothing() throws Exception {
        QueueDescriptor d = fresh("malformed");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.size();
            QueueServiceGrpc.QueueServiceBlockingStub stub = QueueServiceGrpc.newBlockingStub(LOOPBACK.raw())
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            List<ItemBlock> bad = List.of(
                    // lengths add up to more than the payloads
                    ItemBlock.newBuilder().setPayloads(utf8("abc")).addLengths(2).addLengths(2).addPriorities(1)
                            .build(),
                    // two priorities for three items
                    ItemBlock.newBuilder().setPayloads(utf8("abc")).addLengths(1).addLengths(1).addLengths(1)
                            .addPriorities(1).addPriorities(2).build(),
                    // a priority over 255
                    ItemBlock.newBuilder().setPayloads(utf8("ab")).addLengths(2).addPriorities(256).build(),
                    // no priority at all
                    ItemBlock.newBuilder().setPayloads(utf8("ab")).addLengths(2).build());
            long sequence = 0;
            for (ItemBlock block : bad) {
                PutRequest req = packedPut(d, ++sequence, block);
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.putBatch(req));
                assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), block.toString());
            }
            PutRequest large = packedPut(d, ++sequence, ItemBlock.newBuilder()
                    .setPayloads(ByteString.copyFrom(new byte[MAX_ITEM_BYTES + 1])).addLengths(MAX_ITEM_BYTES + 1)
                    .addPriorities(1).build());
            StatusRuntimeException tooLarge = assertThrows(StatusRuntimeException.class, () -> stub.putBatch(large));
            assertEquals("TOO_LARGE", tooLarge.getTrailers().get(ErrorKind.TRAILER));
            assertEquals(0, q.size(), "a refused block adds nothing");

            PutResponse ok = stub.putBatch(packedPut(d, ++sequence, ItemBlock.newBuilder().setPayloads(utf8("abcd"))
                    .addLengths(1).addLengths(0).addLengths(3).addPriorities(128).build()));
            assertTrue(ok.getAccepted());
            assertEquals(List.of("a", "", "bcd"), q.getBatch(10, Duration.ofSeconds(5)));
        }
    }

    @Test
    void aGetAnswersPackedOnlyWhenAskedSoOlderClientsStillRead() throws Exception {
        QueueDescriptor d = fresh("unpacked");
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.putAll(List.of("x", "y", "z"));
            QueueServiceGrpc.QueueServiceBlockingStub stub = QueueServiceGrpc.newBlockingStub(LOOPBACK.raw())
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            GetResponse plain = stub.get(GetRequest.newBuilder().setQueue(ref(d)).setMaxItems(2).build());
            assertEquals(List.of(utf8("x"), utf8("y")), plain.getItemsList());
            assertFalse(plain.hasBlock());
            GetResponse packed = stub.get(GetRequest.newBuilder().setQueue(ref(d)).setMaxItems(2).setPacked(true)
                    .build());
            assertEquals(0, packed.getItemsCount());
            assertEquals(utf8("z"), packed.getBlock().getPayloads());
            assertEquals(List.of(1), packed.getBlock().getLengthsList());
        }
    }
}
