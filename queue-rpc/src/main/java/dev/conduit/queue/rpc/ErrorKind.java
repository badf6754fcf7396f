package dev.conduit.queue.rpc;

import dev.conduit.queue.AccessDeniedException;
import dev.conduit.queue.BackendNotFoundException;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.SerializationException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * How a server-side failure travels to the client: a gRPC status whose description is the
 * server's message, plus the trailer {@value #TRAILER_NAME} naming the kind, which the client
 * turns back into the matching {@link QueueException} subclass.
 */
enum ErrorKind {
    FULL(Status.Code.RESOURCE_EXHAUSTED),
    EMPTY(Status.Code.NOT_FOUND),
    CLOSED(Status.Code.FAILED_PRECONDITION),
    TOO_LARGE(Status.Code.RESOURCE_EXHAUSTED),
    BACKEND_NOT_FOUND(Status.Code.FAILED_PRECONDITION),
    SERIALIZATION(Status.Code.INVALID_ARGUMENT),
    ACCESS_DENIED(Status.Code.PERMISSION_DENIED),
    INVALID_ARGUMENT(Status.Code.INVALID_ARGUMENT),
    UNSUPPORTED(Status.Code.UNIMPLEMENTED),
    /** The request names an in-memory queue from before a server restart: its items are gone. */
    RESTARTED(Status.Code.FAILED_PRECONDITION),
    /** The server does not host the queue (never opened, destroyed, or lost in a restart). */
    QUEUE_UNKNOWN(Status.Code.NOT_FOUND),
    /** A server limit (number of queues, waiting puts) was reached. */
    LIMIT(Status.Code.RESOURCE_EXHAUSTED),
    /** The server is shutting down; the client may retry against its successor. */
    SHUTTING_DOWN(Status.Code.UNAVAILABLE),
    INTERNAL(Status.Code.INTERNAL);

    static final String TRAILER_NAME = "conduit-error-kind";
    static final Metadata.Key<String> TRAILER = Metadata.Key.of(TRAILER_NAME, Metadata.ASCII_STRING_MARSHALLER);
    /**
     * The server's message again, UTF-8: it survives where gRPC replaces the status description
     * (a request the transport could not parse is closed as UNKNOWN by grpc-java itself).
     */
    static final Metadata.Key<byte[]> MESSAGE_TRAILER = Metadata.Key.of("conduit-error-message-bin",
            Metadata.BINARY_BYTE_MARSHALLER);

    private final Status.Code code;

    ErrorKind(Status.Code code) {
        this.code = code;
    }

    /** @return the status, with {@code message} as description, and the trailer */
    StatusRuntimeException toStatus(String message) {
        Metadata trailers = new Metadata();
        trailers.put(TRAILER, name());
        trailers.put(MESSAGE_TRAILER, message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return code.toStatus().withDescription(message).asRuntimeException(trailers);
    }

    /**
     * The kind of a server-side failure.
     *
     * @param e what the queue threw
     * @return its kind
     */
    static ErrorKind of(Throwable e) {
        if (e instanceof HostedQueues.QueueLimitException) {
            return LIMIT;
        } else if (e instanceof QueueFullException) {
            return FULL;
        } else if (e instanceof QueueEmptyException) {
            return EMPTY;
        } else if (e instanceof QueueClosedException) {
            return CLOSED;
        } else if (e instanceof ItemTooLargeException) {
            return TOO_LARGE;
        } else if (e instanceof BackendNotFoundException) {
            return BACKEND_NOT_FOUND;
        } else if (e instanceof SerializationException) {
            return SERIALIZATION;
        } else if (e instanceof AccessDeniedException) {
            return ACCESS_DENIED;
        } else if (e instanceof IllegalArgumentException || e instanceof NullPointerException) {
            return INVALID_ARGUMENT;
        } else if (e instanceof UnsupportedOperationException) {
            return UNSUPPORTED;
        }
        return INTERNAL;
    }

    /**
     * The server's message of a failed call: from the message trailer, else the status description.
     *
     * @param e the failure
     * @return the message
     */
    static String messageOf(StatusRuntimeException e) {
        Metadata trailers = e.getTrailers();
        byte[] m = trailers == null ? null : trailers.get(MESSAGE_TRAILER);
        if (m != null) {
            return new String(m, java.nio.charset.StandardCharsets.UTF_8);
        }
        String d = e.getStatus().getDescription();
        return d != null ? d : e.getStatus().getCode().toString();
    }

    /**
     * The kind a failed call carries, from its trailer, or guessed from its status code when the
     * failure did not come from Conduit's service (the transport, an interceptor, a size limit).
     *
     * @param e the failure
     * @return the kind, or null for a transport failure worth retrying (UNAVAILABLE and the like)
     */
    static ErrorKind of(StatusRuntimeException e) {
        Metadata trailers = e.getTrailers();
        String name = trailers == null ? null : trailers.get(TRAILER);
        if (name != null) {
            try {
                return valueOf(name);
            } catch (IllegalArgumentException unknown) {
                return INTERNAL;
            }
        }
        switch (e.getStatus().getCode()) {
            case UNAUTHENTICATED:
            case PERMISSION_DENIED:
                return ACCESS_DENIED;
            case RESOURCE_EXHAUSTED:
                // grpc-java's own message-size check: the request or the reply was too big.
                return TOO_LARGE;
            case INVALID_ARGUMENT:
                return INVALID_ARGUMENT;
            case UNIMPLEMENTED:
                return UNSUPPORTED;
            case UNAVAILABLE:
            case DEADLINE_EXCEEDED:
            case CANCELLED:
                return null;
            default:
                return INTERNAL;
        }
    }

    /**
     * The client-side exception for a failed call of this kind: the matching {@link QueueException}
     * subclass, or {@link IllegalArgumentException} / {@link UnsupportedOperationException} for
     * bad arguments and missing capabilities, as an in-JVM queue would throw.
     *
     * @param message the server's message
     * @param cause the gRPC failure
     * @param serverType the server-side queue type the client asked for (what a
     *     {@link BackendNotFoundException} names)
     * @return the exception to throw
     */
    RuntimeException toException(String message, Throwable cause, String serverType) {
        switch (this) {
            case FULL:
                return new QueueFullException(message, cause);
            case EMPTY:
                return new QueueEmptyException(message, cause);
            case CLOSED:
            case QUEUE_UNKNOWN:
                return new QueueClosedException(message, cause);
            case RESTARTED:
                return new ServerRestartedException(message, cause);
            case TOO_LARGE:
                return new ItemTooLargeException(message, cause);
            case SERIALIZATION:
                return new SerializationException(message, cause);
            case BACKEND_NOT_FOUND:
                BackendNotFoundException missing = new BackendNotFoundException(serverType, message);
                missing.initCause(cause);
                return missing;
            case ACCESS_DENIED:
                return new AccessDeniedException(message, cause);
            case SHUTTING_DOWN:
                return new ServerUnavailableException(message, cause);
            case INVALID_ARGUMENT:
                return new IllegalArgumentException(message, cause);
            case UNSUPPORTED:
                return new UnsupportedOperationException(message, cause);
            default:
                return new QueueException(message, cause);
        }
    }
}
