package dev.conduit.queue;

/**
 * Thrown when the queue had no room for the item within the time allowed, or its backpressure policy is REJECT.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class QueueFullException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public QueueFullException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public QueueFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
