package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.conduit.queue.AccessDeniedException;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.rpc.proto.Item;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every refusal the server makes, and that each one leaves the queues as they were: TLS, mutual
 * TLS, bearer tokens per namespace, message and item size limits, the queue limit, and garbage on
 * the port. Certificates are made at test time.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RpcSecurityTest {
    private static final String TOKEN = "right-token";
    private static final String OTHER_TOKEN = "other-token";
    private static final int MAX_ITEM = 16 * 1024;
    private static final int MAX_MESSAGE = 64 * 1024;

    @TempDir
    static Path dir;
    private static TestCerts certs;
    private static QueueServer tlsServer;
    private static QueueServer mutualServer;
    private static QueueServer limitedServer;

    @BeforeAll
    static void startServers() throws Exception {
        certs = TestCerts.create(dir);
        tlsServer = QueueServer.builder().port(0).tls(certs.serverCert, certs.serverKey)
                .token("secure", TOKEN).token("other", OTHER_TOKEN).start();
        mutualServer = QueueServer.builder().port(0).tls(certs.serverCert, certs.serverKey)
                .mutualTls(certs.caCert).start();
        limitedServer = QueueServer.builder().port(0).maxItemBytes(MAX_ITEM).maxMessageBytes(MAX_MESSAGE)
                .maxQueues(3).start();
    }

    @AfterAll
    static void stopServers() {
        for (QueueServer s : new QueueServer[] {tlsServer, mutualServer, limitedServer}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private static QueueDescriptor secure(String id) {
        return QueueDescriptor.rpc("127.0.0.1", tlsServer.port(), id).withNamespace("secure")
                .withOption("tls", "true").withOption("trustCertPath", certs.caCert.getPath())
                .withOption("reconnectMillis", "1000");
    }

    /** A queue on the TLS server holding one item, opened with the right token. */
    private static MessageQueue<String> guarded(String id) throws InterruptedException {
        MessageQueue<String> q = secure(id).withOption("token", TOKEN).open(Codecs.string());
        q.put("precious");
        return q;
    }

    @Test
    void theRightTokenOverTlsWorks() throws Exception {
        try (MessageQueue<String> q = guarded("ok")) {
            assertEquals("precious", q.get(Duration.ofSeconds(5)));
        }
    }

    @Test
    void aClientWithoutATokenIsDeniedAndChangesNothing() throws Exception {
        try (MessageQueue<String> q = guarded("no-token")) {
            MessageQueue<String> intruder = secure("no-token").open(Codecs.string());
            AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> intruder.put("evil"));
            assertTrue(e.getMessage().contains("bearer token"), e.getMessage());
            intruder.close();
            assertEquals(1, q.size());
            assertEquals("precious", q.peek().orElseThrow());
        }
    }

    @Test
    void aClientWithTheWrongTokenIsDeniedForEveryOperation() throws Exception {
        try (MessageQueue<String> q = guarded("wrong-token")) {
            MessageQueue<String> intruder = secure("wrong-token").withOption("token", "guess").open(Codecs.string());
            assertThrows(AccessDeniedException.class, () -> intruder.put("evil"));
            assertThrows(AccessDeniedException.class, intruder::clear);
            assertThrows(AccessDeniedException.class, () -> intruder.get(Duration.ofMillis(10)));
            assertThrows(AccessDeniedException.class, intruder::destroy);
            assertThrows(AccessDeniedException.class, () -> RpcBackend.listQueues(
                    secure("x").withOption("token", "guess")));
            assertEquals(1, q.size());
            assertEquals("precious", q.get(Duration.ofSeconds(5)));
        }
    }

    @Test
    void oneNamespacesTokenDoesNotOpenAnother() throws Exception {
        try (MessageQueue<String> q = guarded("cross")) {
            MessageQueue<String> otherNs = secure("cross").withNamespace("other").withOption("token", TOKEN)
                    .open(Codecs.string());
            assertThrows(AccessDeniedException.class, otherNs::size);
            try (MessageQueue<String> mine = secure("cross").withNamespace("other")
                    .withOption("token", OTHER_TOKEN).open(Codecs.string())) {
                assertEquals(0, mine.size());
            }
            assertEquals(1, q.size());
        }
    }

    @Test
    void aPlainTextClientCannotTalkToATlsServer() throws Exception {
        try (MessageQueue<String> q = guarded("plain")) {
            MessageQueue<String> plain = QueueDescriptor.rpc("127.0.0.1", tlsServer.port(), "plain")
                    .withNamespace("secure").withOption("token", TOKEN).withOption("reconnectMillis", "500")
                    .open(Codecs.string());
            long start = System.nanoTime();
            assertThrows(ServerUnavailableException.class, () -> plain.put("sneaky"));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "refused, not hung");
            assertEquals(1, q.size());
        }
    }

    @Test
    void aClientThatDoesNotTrustTheServerCertificateRefusesToConnect() throws Exception {
        try (MessageQueue<String> q = guarded("untrusted")) {
            MessageQueue<String> wary = secure("untrusted").withOption("token", TOKEN)
                    .withOption("trustCertPath", certs.otherCaCert.getPath()).withOption("reconnectMillis", "500")
                    .open(Codecs.string());
            assertThrows(ServerUnavailableException.class, wary::size);
            assertEquals(1, q.size());
        }
    }

    @Test
    void mutualTlsAdmitsOnlyClientsWithACertificateFromTheTrustedAuthority() throws Exception {
        QueueDescriptor base = QueueDescriptor.rpc("127.0.0.1", mutualServer.port(), "mtls")
                .withOption("tls", "true").withOption("trustCertPath", certs.caCert.getPath())
                .withOption("reconnectMillis", "500");
        try (MessageQueue<String> ok = base.withOption("clientCertPath", certs.clientCert.getPath())
                .withOption("clientKeyPath", certs.clientKey.getPath()).open(Codecs.string())) {
            ok.put("kept");
            MessageQueue<String> anonymous = base.open(Codecs.string());
            assertThrows(ServerUnavailableException.class, anonymous::size);
            MessageQueue<String> stranger = base.withOption("clientCertPath", certs.strangerCert.getPath())
                    .withOption("clientKeyPath", certs.strangerKey.getPath()).open(Codecs.string());
            assertThrows(ServerUnavailableException.class, stranger::size);
            assertEquals(1, ok.size());
            assertEquals("kept", ok.get(Duration.ofSeconds(5)));
        }
    }

    private static QueueDescriptor limited(String id) {
        return QueueDescriptor.rpc("127.0.0.1", limitedServer.port(), id);
    }

    @Test
    void anOversizedItemOrMessageIsRefusedAndTheQueueKeepsItsItems() throws Exception {
        try (MessageQueue<byte[]> q = limited("sizes").open(Codecs.bytes())) {
            q.put(new byte[100]);
            assertThrows(ItemTooLargeException.class, () -> q.put(new byte[MAX_ITEM + 1]));
            List<byte[]> tooMuch = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                tooMuch.add(new byte[MAX_ITEM - 100]);
            }
            ItemTooLargeException e = assertThrows(ItemTooLargeException.class, () -> q.putAll(tooMuch));
            assertTrue(e.getMessage().contains("exceeds maximum size"), e.getMessage());
            // The server's own check, for a client that skips the client-side one.
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", limitedServer.port()).usePlaintext()
                    .build();
            try {
                StatusRuntimeException big = assertThrows(StatusRuntimeException.class, () ->
                        QueueServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).put(
                                PutRequest.newBuilder().setQueue(QueueRef.newBuilder().setNamespace("default")
                                        .setId("sizes")).addItems(Item.newBuilder().setPayload(
                                                ByteString.copyFrom(new byte[MAX_ITEM + 1]))).build()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, big.getStatus().getCode());
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertEquals(1, q.size());
            assertEquals(100, q.get().length);
        }
    }

    @Test
    void aMalformedRequestGetsAClearStatusAndChangesNothing() throws Exception {
        try (MessageQueue<String> q = limited("malformed").open(Codecs.string())) {
            q.put("kept");
            MethodDescriptor<byte[], byte[]> rawPut = QueueServiceGrpc.getPutMethod().toBuilder(
                    new BytesMarshaller(), new BytesMarshaller()).build();
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", limitedServer.port()).usePlaintext()
                    .build();
            try {
                byte[] garbage = new byte[512];
                new Random(42).nextBytes(garbage);
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
                        ClientCalls.blockingUnaryCall(ch, rawPut, CallOptions.DEFAULT.withDeadlineAfter(10,
                                TimeUnit.SECONDS), garbage));
                // grpc-java closes a call whose request it cannot parse as UNKNOWN; the trailers say why.
                assertEquals(ErrorKind.INVALID_ARGUMENT, ErrorKind.of(e));
                assertTrue(ErrorKind.messageOf(e).startsWith("malformed Put request"), ErrorKind.messageOf(e));
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertEquals(1, q.size());
            assertEquals("kept", q.get());
        }
    }

    @Test
    void garbageBytesOnThePortAreDroppedAndTheServerCarriesOn() throws Exception {
        try (MessageQueue<String> q = limited("garbage").open(Codecs.string());
                MessageQueue<String> secured = guarded("garbage")) {
            q.put("kept");
            Random random = new Random(7);
            for (int port : new int[] {limitedServer.port(), tlsServer.port()}) {
                for (int round = 0; round < 3; round++) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                        s.setSoTimeout(10_000);
                        OutputStream out = s.getOutputStream();
                        byte[] junk = new byte[4096];
                        random.nextBytes(junk);
                        if (round == 1) {
                            out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                        out.write(junk);
                        out.flush();
                        assertTrue(readsToEnd(s.getInputStream()), "the server closed the connection");
                    } catch (IOException reset) {
                        // A reset is the server hanging up too.
                    }
                }
            }
            assertEquals(1, q.size());
            assertEquals("kept", q.get(Duration.ofSeconds(5)));
            assertEquals("precious", secured.get(Duration.ofSeconds(5)));
        }
    }

    private static boolean readsToEnd(InputStream in) throws IOException {
        byte[] buf = new byte[4096];
        long total = 0;
        while (total < (1 << 20)) {
            int n = in.read(buf);
            if (n < 0) {
                return true;
            }
            total += n;
        }
        return false;
    }

    @Test
    void theQueueLimitRefusesANewQueueAndKeepsTheOthers() throws Exception {
        List<MessageQueue<String>> open = new ArrayList<>();
        try {
            int hosted = limitedServer.queueCount();
            for (int i = hosted; i < 3; i++) {
                MessageQueue<String> q = limited("fill-" + i).open(Codecs.string());
                q.put("item-" + i);
                open.add(q);
            }
            MessageQueue<String> one = limited("one-too-many").open(Codecs.string());
            QueueException e = assertThrows(QueueException.class, one::size);
            assertTrue(e.getMessage().contains("maximum of 3 queues"), e.getMessage());
            for (MessageQueue<String> q : open) {
                assertEquals(1, q.size());
            }
        } finally {
            for (MessageQueue<String> q : open) {
                q.destroy();
            }
        }
    }

    @Test
    void aTokenEnvironmentVariableThatIsNotSetIsAClearError() {
        MessageQueue<String> q = secure("env").withOption("tokenEnv", "CONDUIT_TEST_TOKEN_THAT_IS_NOT_SET")
                .open(Codecs.string());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, q::size);
        assertTrue(e.getMessage().contains("CONDUIT_TEST_TOKEN_THAT_IS_NOT_SET"), e.getMessage());
    }

    /** Sends bytes as they are. */
    private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
