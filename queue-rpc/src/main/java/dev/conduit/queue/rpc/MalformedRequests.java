package dev.conduit.queue.rpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a request that is not a valid protobuf message a clear answer: INVALID_ARGUMENT with the
 * parse error, and the {@code conduit-error-kind} trailer, instead of the bare UNKNOWN that
 * grpc-java sends when a parser throws. The request never reaches the service, so nothing changes.
 *
 * <p>How: each method's request parser is wrapped so that, instead of throwing, it records the
 * error for the current thread and returns an empty message; grpc-java hands the parsed message to
 * the listener on the same thread right after parsing, where this interceptor (the outermost one)
 * finds the record and closes the call.
 *
 * <p>Thread-safe.
 */
final class MalformedRequests implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(MalformedRequests.class);
    private static final ThreadLocal<String> PARSE_ERROR = new ThreadLocal<>();

    private MalformedRequests() {
    }

    /**
     * @param service the service, with its other interceptors
     * @return the service with checked parsing and this interceptor outermost
     */
    static ServerServiceDefinition guard(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            b.addMethod(checkedParsing(m));
        }
        return ServerInterceptors.intercept(b.build(), new MalformedRequests());
    }

    private static <Q, R> ServerMethodDefinition<Q, R> checkedParsing(ServerMethodDefinition<Q, R> m) {
        MethodDescriptor<Q, R> md = m.getMethodDescriptor();
        MethodDescriptor.Marshaller<Q> parser = md.getRequestMarshaller();
        MethodDescriptor.Marshaller<Q> checked = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(Q value) {
                return parser.stream(value);
            }

            @Override
            public Q parse(InputStream stream) {
                PARSE_ERROR.remove();
                try {
                    return parser.parse(stream);
                } catch (RuntimeException e) {
                    PARSE_ERROR.set("malformed " + md.getBareMethodName() + " request: it is not a valid "
                            + "protobuf message (" + e.getMessage() + "); nothing changed");
                    return parser.parse(new ByteArrayInputStream(new byte[0]));
                }
            }
        };
        return ServerMethodDefinition.create(md.toBuilder().setRequestMarshaller(checked).build(),
                m.getServerCallHandler());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                String error = PARSE_ERROR.get();
                if (error != null) {
                    PARSE_ERROR.remove();
                    refused = true;
                    LOG.atWarn().setMessage("malformed request refused").addKeyValue("method",
                            call.getMethodDescriptor().getFullMethodName()).addKeyValue("error", error).log();
                    StatusRuntimeException s = ErrorKind.INVALID_ARGUMENT.toStatus(error);
                    call.close(s.getStatus(), s.getTrailers());
                    return;
                }
                if (!refused) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }
}
