package dev.conduit.queue;

/**
 * Thrown when the server refused the call: a missing or wrong token for the queue's namespace; nothing changed.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class AccessDeniedException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public AccessDeniedException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public AccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
