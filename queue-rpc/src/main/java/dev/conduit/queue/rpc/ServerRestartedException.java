package dev.conduit.queue.rpc;

import dev.conduit.queue.QueueClosedException;

/**
 * Thrown when the server hosting an in-memory queue restarted since this handle last used it: the
 * items the queue held are gone, and the call that sees this exception changed nothing. The handle
 * has reconnected; the next call uses the fresh, empty queue. Durable queues never throw it.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class ServerRestartedException extends QueueClosedException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened
     * @param cause the underlying failure, or null
     */
    public ServerRestartedException(String message, Throwable cause) {
        super(message, cause);
    }
}
