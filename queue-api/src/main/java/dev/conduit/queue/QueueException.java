package dev.conduit.queue;

/**
 * Base of every exception a Conduit queue throws. Unchecked, like {@link IllegalStateException};
 * blocking calls additionally declare {@link InterruptedException}, as
 * {@link java.util.concurrent.BlockingQueue} does.
 *
 * <p>Subclasses: {@link QueueFullException}, {@link QueueEmptyException},
 * {@link QueueClosedException}, {@link ItemTooLargeException}, {@link BackendNotFoundException},
 * {@link SerializationException}, {@link AccessDeniedException}.
 */
public class QueueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public QueueException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public QueueException(String message, Throwable cause) {
        super(message, cause);
    }
}
