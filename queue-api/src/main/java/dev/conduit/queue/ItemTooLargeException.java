package dev.conduit.queue;

/**
 * Thrown when an encoded item is larger than the queue's item size limit; nothing was written.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class ItemTooLargeException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public ItemTooLargeException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public ItemTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
