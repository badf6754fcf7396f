package dev.conduit.queue.rpc;

import dev.conduit.queue.QueueException;

/**
 * Thrown when the queue server could not be reached (down, restarting, shutting down, or not
 * answering) for longer than the descriptor's {@code reconnectMillis}. A put that throws it may or
 * may not have been applied; retrying it through the same handle is safe (puts are idempotent),
 * provided the server came back with its queue.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class ServerUnavailableException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     * @param cause the underlying failure, or null
     */
    public ServerUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
