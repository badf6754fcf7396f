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
}
