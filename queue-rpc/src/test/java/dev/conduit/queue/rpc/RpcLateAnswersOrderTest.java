package dev.conduit.queue.rpc;

import static dev.conduit.queue.rpc.RpcTestSupport.await;
import static dev.conduit.queue.rpc.RpcTestSupport.numbers;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handle without prefetch closed while two of its gets' answers are late (docs/rpc.md: the items
 * of late answers go back to the head of the queue in the server's order, FIFO per producer), against
 * a real QueueServer on loopback. The answers are held back by a loopback TCP relay between client and
 * server that the test pauses in the server-to-client direction: the server has taken the items, the
 * client has not seen them. Which answer the client handles first is up to its threads, so the test
 * runs several trials.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpcLateAnswersOrderTest {
    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.withDefaults();

    private static final int TRIALS = 5;

    /**
     * Two gets of one handle (no prefetch) wait on an empty queue; 1..6 are put; the server answers
     * the first with 1..3 and the second with 4..6, and both answers are held back; the handle
     * closes, both gets give up on their answers, then the answers come and go back to the server.
     * The queue must read 1..6 again, in order.
     */
    @Test
    void itemsOfTwoLateAnswersGoBackInTheServersOrder() throws Exception {
        for (int trial = 0; trial < TRIALS; trial++) {
            runTrial(trial);
        }
    }

    private static void runTrial(int trial) throws Exception {
        ExecutorService getters = Executors.newFixedThreadPool(2);
        try (PausableRelay relay = new PausableRelay(LOOPBACK.server().port())) {
            QueueDescriptor direct = LOOPBACK.fresh("late-two").withCapacity(100);
            QueueDescriptor viaRelay = QueueDescriptor.rpc("127.0.0.1", relay.port(), direct.id())
                    .withNamespace(direct.namespace()).withCapacity(100);
            MessageQueue<String> q = viaRelay.open(Codecs.string());
            q.size();
            HostedQueue hosted = LOOPBACK.server().hosted(direct.namespace(), direct.id());
            HostedQueue.Reader reader = hosted.reader("");
            List<Throwable> outcomes = new CopyOnWriteArrayList<>();
            List<CompletableFuture<List<String>>> gets = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                gets.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return q.getBatch(3, Duration.ofSeconds(10));
                    } catch (RuntimeException | InterruptedException e) {
                        outcomes.add(e);
                        return List.of();
                    }
                }, getters));
                int waiting = i + 1;
                await(() -> reader.room.waiting() == waiting, "get " + waiting + " waits on the server");
            }
            relay.pauseAnswers();
            try (MessageQueue<String> producer = direct.open(Codecs.string())) {
                producer.putAll(numbers(1, 7));
                await(() -> reader.size() == 0 && reader.room.waiting() == 0, "the server answered both gets");
                q.close();
                List<String> handedOut = new ArrayList<>();
                for (CompletableFuture<List<String>> g : gets) {
                    handedOut.addAll(g.get(20, TimeUnit.SECONDS));
                }
                relay.resumeAnswers();
                await(() -> reader.size() + handedOut.size() == 6, "the late answers' items are back");
                List<String> seen = new ArrayList<>(handedOut);
                seen.addAll(producer.getBatch(100, Duration.ofSeconds(5)));
                assertEquals(numbers(1, 7), seen, "trial " + trial + ": handed out, then left in the queue "
                        + "(gets ended with " + outcomes + ")");
            }
        } finally {
            getters.shutdownNow();
        }
    }

    /**
     * Through the wire, deterministic: three gets take 1, 2 and 3 (one each); 3 and then 1 go back
     * (ReturnItems with their answers' take positions), a get takes 1 and 3 again (positions that do
     * not follow one by one), then 2 and that answer go back, in that order; then an older client
     * gives back 0 without positions. The queue must read 0, then 1..4 (4 never left it).
     */
    @Test
    void givenBackItemsGoBackInTakeOrderWhateverOrderTheyComeBackIn() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", LOOPBACK.server().port())
                .usePlaintext().build();
        try {
            QueueDescriptor d = LOOPBACK.fresh("take-order").withCapacity(100);
            try (MessageQueue<String> q = d.open(Codecs.string())) {
                q.putAll(numbers(1, 5));
                QueueServiceGrpc.QueueServiceBlockingStub stub = QueueServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS);
                GetResponse one = take(stub, d, 1);
                GetResponse two = take(stub, d, 1);
                GetResponse three = take(stub, d, 1);
                assertEquals(List.of("1", "2", "3"),
                        List.of(strings(one).get(0), strings(two).get(0), strings(three).get(0)));
                giveBack(stub, d, three);
                giveBack(stub, d, one);
                GetResponse oneAndThree = take(stub, d, 2);
                assertEquals(List.of("1", "3"), strings(oneAndThree));
                assertEquals(2, oneAndThree.getPositionsCount(), "positions that do not follow are listed");
                giveBack(stub, d, two);
                giveBack(stub, d, oneAndThree);
                stub.returnItems(PutRequest.newBuilder().setQueue(ref(d)).setBlock(PackedItems.pack(
                        List.of("0".getBytes(StandardCharsets.UTF_8))).toBuilder()
                        .addPriorities(MessageQueue.DEFAULT_PRIORITY)).build());
                assertEquals(numbers(0, 5), q.getBatch(100, Duration.ofSeconds(5)));
            }
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static QueueRef ref(QueueDescriptor d) {
        return QueueRef.newBuilder().setNamespace(d.namespace()).setId(d.id()).build();
    }

    private static GetResponse take(QueueServiceGrpc.QueueServiceBlockingStub stub, QueueDescriptor d, int max) {
        return stub.get(GetRequest.newBuilder().setQueue(ref(d)).setMaxItems(max).setPacked(true).build());
    }

    private static List<String> strings(GetResponse r) {
        return PackedItems.decode(r.getBlock(), Codecs.string());
    }

    /** Gives an answer's items back as a client does: with the answer's take positions. */
    private static void giveBack(QueueServiceGrpc.QueueServiceBlockingStub stub, QueueDescriptor d, GetResponse r) {
        List<byte[]> items = new ArrayList<>();
        for (String s : strings(r)) {
            items.add(s.getBytes(StandardCharsets.UTF_8));
        }
        stub.returnItems(PutRequest.newBuilder().setQueue(ref(d)).setBlock(PackedItems.pack(items).toBuilder()
                .addPriorities(MessageQueue.DEFAULT_PRIORITY)).setFirstPosition(r.getFirstPosition())
                .addAllPositions(r.getPositionsList()).build());
    }
}
