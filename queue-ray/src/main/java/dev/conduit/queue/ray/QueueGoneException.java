package dev.conduit.queue.ray;

/**
 * Thrown inside a {@link QueueActor} when a call names a queue that was destroyed (or never
 * existed there); Ray hands it to the client as the cause of the failed call, and the client turns
 * it into {@link dev.conduit.queue.QueueClosedException}.
 */
public final class QueueGoneException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** The start of every message, which clients also recognise when the cause was not kept. */
    static final String MARKER = "conduit queue gone: ";

    /**
     * @param queue the queue's name, or its id
     */
    public QueueGoneException(String queue) {
        super(MARKER + queue + " was destroyed");
    }
}
