package dev.conduit.queue.rpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.conduit.queue.rpc.proto.ListQueuesRequest;
import dev.conduit.queue.rpc.proto.QueueRef;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer-token check: every request names its queue's namespace, and the request goes through
 * only if its {@code authorization: Bearer <token>} header carries that namespace's token (or the
 * token configured for every namespace, {@code "*"}). The check runs on the request message itself,
 * before the service sees it, so a refused request changes nothing. With no token configured the
 * server is open.
 *
 * <p>Immutable and thread-safe.
 */
final class TokenCheck implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(TokenCheck.class);
    /** The header carrying the token. */
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** The namespace whose token opens every namespace without one of its own. */
    static final String ANY_NAMESPACE = "*";
    private static final String BEARER = "Bearer ";

    private final Map<String, byte[]> tokens;

    /**
     * @param tokens namespace to token; {@link #ANY_NAMESPACE} for the rest
     */
    TokenCheck(Map<String, String> tokens) {
        this.tokens = Map.copyOf(tokens.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().getBytes(StandardCharsets.UTF_8))));
    }

    /** @return whether any token is configured */
    boolean enabled() {
        return !tokens.isEmpty();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String header = headers.get(AUTHORIZATION);
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (refused) {
                    return;
                }
                StatusRuntimeException denial = check(namespaceOf(message), header);
                if (denial != null) {
                    refused = true;
                    LOG.atWarn().setMessage("request refused").addKeyValue("method",
                            call.getMethodDescriptor().getFullMethodName())
                            .addKeyValue("namespace", namespaceOf(message))
                            .addKeyValue("remote", call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))
                            .addKeyValue("reason", denial.getStatus().getDescription()).log();
                    call.close(denial.getStatus(), denial.getTrailers());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    /**
     * @return null when the token opens the namespace, else the refusal to send
     */
    StatusRuntimeException check(String namespace, String header) {
        if (tokens.isEmpty()) {
            return null;
        }
        byte[] expected = tokens.get(namespace);
        if (expected == null) {
            expected = tokens.get(ANY_NAMESPACE);
        }
        if (header == null || !header.startsWith(BEARER)) {
            return ErrorKind.ACCESS_DENIED.toStatus("namespace '" + namespace + "' needs a bearer token and the "
                    + "request carried none: set the descriptor option 'token' (or 'tokenEnv')");
        }
        byte[] presented = header.substring(BEARER.length()).getBytes(StandardCharsets.UTF_8);
        if (expected == null || !MessageDigest.isEqual(expected, presented)) {
            return ErrorKind.ACCESS_DENIED.toStatus("the bearer token is not valid for namespace '" + namespace + "'");
        }
        return null;
    }

    /** The namespace a request names (every request message of the service names one). */
    static String namespaceOf(Object message) {
        if (message instanceof ListQueuesRequest) {
            return ((ListQueuesRequest) message).getNamespace();
        }
        if (message instanceof Message) {
            Message m = (Message) message;
            FieldDescriptor f = m.getDescriptorForType().findFieldByName("queue");
            if (f != null && f.getMessageType() == QueueRef.getDescriptor()) {
                return ((QueueRef) m.getField(f)).getNamespace();
            }
        }
        return "";
    }
}
