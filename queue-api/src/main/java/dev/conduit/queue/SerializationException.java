package dev.conduit.queue;

/**
 * Thrown when an item could not be encoded or decoded, or its class is not on the codec's allow-list.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public class SerializationException extends QueueException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, in a sentence a user can act on
     */
    public SerializationException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what happened, in a sentence a user can act on
     * @param cause the underlying failure
     */
    public SerializationException(String message, Throwable cause) {
        super(message, cause);
    }
}
