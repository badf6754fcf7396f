package dev.conduit.queue.rpc;

import static dev.conduit.queue.rpc.RpcTestSupport.await;
import static dev.conduit.queue.rpc.RpcTestSupport.numbers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A prefetching handle closed while a get's answer is late (docs/rpc.md "Prefetch": FIFO, and
 * given-back items go back to the head of the queue in their order), against a real QueueServer on
 * loopback. The answer is held back by a loopback TCP relay between client and server that the test
 * pauses in the server-to-client direction: the server has taken the items, the client has not seen them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcPrefetchLateAnswerTest {
    @RegisterExtension
    static final LoopbackServer LOOPBACK = LoopbackServer.withDefaults();

    /**
     * The handle holds 1..3 and tops up (a get that wants more than it holds); the server takes
     * 4..7 for the top-up, whose answer is held back; the handle closes: the get gives up on the
     * answer, close gives 1..3 back, then the answer comes and 4..7 go back. The queue must read
     * 1..9 again, in order.
     */
    @Test
    void itemsOfALateTopUpAnswerGoBackBehindTheHeldItemsWhenTheHandleCloses() throws Exception {
        try (PausableRelay relay = new PausableRelay(LOOPBACK.server().port())) {
            QueueDescriptor direct = LOOPBACK.fresh("late-topup").withCapacity(100);
            QueueDescriptor viaRelay = QueueDescriptor.rpc("127.0.0.1", relay.port(), direct.id())
                    .withNamespace(direct.namespace()).withCapacity(100).withOption("prefetch", "4");
            MessageQueue<String> q = viaRelay.open(Codecs.string());
            q.putAll(numbers(0, 10));
            assertEquals("0", q.get(Duration.ofSeconds(5)));
            HostedQueue.Reader reader = LOOPBACK.server().hosted(direct.namespace(), direct.id()).reader("");
            assertEquals(6, reader.size(), "the handle holds 1..3, the server has 4..9");

            relay.pauseAnswers();
            List<Throwable> getOutcome = new CopyOnWriteArrayList<>();
            CompletableFuture<List<String>> topUp = CompletableFuture.supplyAsync(() -> {
                try {
                    return q.getBatch(5, Duration.ofSeconds(5));
                } catch (RuntimeException | InterruptedException e) {
                    getOutcome.add(e);
                    return List.of();
                }
            });
            await(() -> reader.size() == 2, "the server took 4..7 for the top-up");
            List<Throwable> closeOutcome = new CopyOnWriteArrayList<>();
            Thread closer = new Thread(() -> {
                try {
                    q.close();
                } catch (RuntimeException e) {
                    closeOutcome.add(e);
                }
            }, "late-topup-closer");
            closer.start();
            // The get gives up on its answer within 200 ms of the close (docs/rpc.md).
            List<String> handedOut = new ArrayList<>(topUp.get(20, TimeUnit.SECONDS));
            // Then close either gives the held items back at once, or waits for the late answer.
            await(() -> reader.size() == 5 || waitsForTheLateAnswer(closer),
                    "close gave the held 1..3 back or waits for the late answer");
            relay.resumeAnswers();
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!closer.isAlive() && closeOutcome.isEmpty(), "close ended quietly: " + closeOutcome);
            await(() -> reader.size() + handedOut.size() == 9, "the late answer's items are back");

            List<String> seen = new ArrayList<>(handedOut);
            QueueRef ref = QueueRef.newBuilder().setNamespace(direct.namespace()).setId(direct.id()).build();
            for (;;) {
                GetResponse r = QueueServiceGrpc.newBlockingStub(LOOPBACK.raw()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .get(GetRequest.newBuilder().setQueue(ref).setMaxItems(100).setPacked(true).build());
                if (r.getBlock().getLengthsCount() == 0) {
                    break;
                }
                byte[] all = r.getBlock().getPayloads().toByteArray();
                int pos = 0;
                for (int len : r.getBlock().getLengthsList()) {
                    seen.add(new String(all, pos, len, StandardCharsets.UTF_8));
                    pos += len;
                }
            }
            assertEquals(numbers(1, 10), seen, "handed out by the get, then left in the queue (get ended with "
                    + getOutcome + ")");
        }
    }

    private static boolean waitsForTheLateAnswer(Thread closer) {
        for (StackTraceElement e : closer.getStackTrace()) {
            if (e.getMethodName().equals("awaitLateAnswers")) {
                return closer.getState() == Thread.State.TIMED_WAITING;
            }
        }
        return false;
    }
}
