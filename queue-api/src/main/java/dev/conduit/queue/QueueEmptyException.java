package dev.conduit.queue;

/**
 * Thrown when no item arrived within the time allowed.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class QueueEmptyException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public QueueEmptyException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public QueueEmptyException(String message, Throwable cause) {
        super(message, cause);
    }
}
