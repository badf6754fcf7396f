package dev.conduit.queue;

/**
 * Thrown when the handle (or the queue itself) is closed or destroyed.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class QueueClosedException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public QueueClosedException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public QueueClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
