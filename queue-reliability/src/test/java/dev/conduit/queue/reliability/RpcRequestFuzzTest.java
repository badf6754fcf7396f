package dev.conduit.queue.reliability;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.QueueServer;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;

/**
 * Jazzer: fuzzed bytes sent as the request message of every method of the real
 * {@code conduit.queue.v1.QueueService} (names from the service descriptor, a raw {@code byte[]}
 * marshaller), to a real {@link QueueServer} on 127.0.0.1. Every call must end with a response or
 * a clean gRPC status, never UNKNOWN, INTERNAL, UNAVAILABLE or DATA_LOSS (an exception escaping
 * the service, or a dead server); and after every input the server still serves and a queue the
 * fuzzer cannot reach (its namespace has its own token) still holds its items. (UNIMPLEMENTED is
 * clean: the server answers it for an operation the queue lacks, such as Subscribe without
 * broadcast.)
 *
 * <p>An input is a method name, a zero byte, then the request bytes; a name that is not a method
 * of the service picks one by its hash. So the corpus stays valid when the service gains methods.
 *
 * <p>CI runs this in regression mode over the committed corpus in
 * {@code src/test/resources/dev/conduit/queue/reliability/RpcRequestFuzzTestInputs/}; fuzz for
 * five minutes with {@code JAZZER_FUZZ=1 mvn -pl queue-reliability test -Dtest=RpcRequestFuzzTest}.
 */
class RpcRequestFuzzTest {
    private static final String FUZZ_TOKEN = "fuzz-token";
    private static final String INTACT_TOKEN = "intact-token";
    private static final int INTACT_ITEMS = 5;
    /** Statuses that mean the server failed rather than refused. */
    private static final Set<Status.Code> UNCLEAN = EnumSet.of(Status.Code.UNKNOWN, Status.Code.INTERNAL,
            Status.Code.UNAVAILABLE, Status.Code.DATA_LOSS);
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private static final QueueServer SERVER = QueueServer.builder().host("127.0.0.1").port(0)
            .token("protected", INTACT_TOKEN).token("*", FUZZ_TOKEN).maxQueues(200).start();
    private static final ManagedChannel CHANNEL = ManagedChannelBuilder.forAddress("127.0.0.1", SERVER.port())
            .usePlaintext().build();
    /** Every method of the service, sorted by name, each with the raw marshaller. */
    private static final List<MethodDescriptor<byte[], byte[]>> METHODS = QueueServiceGrpc.getServiceDescriptor()
            .getMethods().stream().sorted(Comparator.comparing(MethodDescriptor::getFullMethodName))
            .map(m -> MethodDescriptor.newBuilder(RAW, RAW).setType(m.getType())
                    .setFullMethodName(m.getFullMethodName()).build())
            .toList();
    private static final MessageQueue<String> INTACT = intactQueue();

    private static MessageQueue<String> intactQueue() {
        MessageQueue<String> q = QueueDescriptor.rpc("127.0.0.1", SERVER.port(), "intact").withNamespace("protected")
                .withOption("token", INTACT_TOKEN).open(Codecs.string());
        try {
            for (int i = 0; i < INTACT_ITEMS; i++) {
                q.put("item-" + i);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return q;
    }

    @AfterAll
    static void theServerStillServesAndStops() throws Exception {
        try (MessageQueue<String> fresh = QueueDescriptor.rpc("127.0.0.1", SERVER.port(), "after-fuzz")
                .withNamespace("fuzz").withOption("token", FUZZ_TOKEN).open(Codecs.string())) {
            fresh.put("still serving");
            if (!"still serving".equals(fresh.get(Duration.ofSeconds(5)))) {
                throw new AssertionError("the server does not serve after the fuzz run");
            }
            fresh.destroy();
        } finally {
            INTACT.close();
            CHANNEL.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            SERVER.close();
        }
    }

    /** The method an input names before its first zero byte. */
    private static MethodDescriptor<byte[], byte[]> methodOf(byte[] input, int nameEnd) {
        String name = new String(input, 0, nameEnd, StandardCharsets.ISO_8859_1);
        for (MethodDescriptor<byte[], byte[]> m : METHODS) {
            if (m.getBareMethodName().equals(name)) {
                return m;
            }
        }
        return METHODS.get(Math.floorMod(name.hashCode(), METHODS.size()));
    }

    @FuzzTest(maxDuration = "5m")
    void everyMethodAnswersFuzzedRequestsWithACleanStatusAndLeavesOtherQueuesIntact(byte[] input) {
        int nameEnd = 0;
        while (nameEnd < input.length && input[nameEnd] != 0) {
            nameEnd++;
        }
        MethodDescriptor<byte[], byte[]> method = methodOf(input, nameEnd);
        byte[] request = Arrays.copyOfRange(input, Math.min(input.length, nameEnd + 1), input.length);
        Metadata auth = new Metadata();
        auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + FUZZ_TOKEN);
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS);
        io.grpc.Channel channel = io.grpc.ClientInterceptors.intercept(CHANNEL,
                MetadataUtils.newAttachHeadersInterceptor(auth));
        try {
            if (method.getType() == MethodDescriptor.MethodType.UNARY) {
                ClientCalls.blockingUnaryCall(channel, method, options, request);
            } else {
                Iterator<byte[]> stream = ClientCalls.blockingServerStreamingCall(channel, method, options, request);
                for (int i = 0; i < 8 && stream.hasNext(); i++) {
                    stream.next();
                }
            }
        } catch (StatusRuntimeException e) {
            if (UNCLEAN.contains(e.getStatus().getCode())) {
                throw new AssertionError(method.getBareMethodName() + " answered a fuzzed request with "
                        + e.getStatus(), e);
            }
        }
        int size = INTACT.size();
        if (size != INTACT_ITEMS) {
            throw new AssertionError("a fuzzed " + method.getBareMethodName() + " changed a queue it cannot reach: "
                    + size + " items instead of " + INTACT_ITEMS);
        }
    }
}
