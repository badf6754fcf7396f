package dev.conduit.queue;

/**
 * Thrown when no backend on the class path serves a descriptor's type. The message names the Maven
 * artifact that provides the type, for the types Conduit ships.
 */
public class BackendNotFoundException extends QueueException {
    private static final long serialVersionUID = 1L;

    /** The queue type that no backend serves. */
    private final String type;

    /**
     * Creates the exception.
     *
     * @param type the queue type nobody serves
     * @param message what to add to the class path
     */
    public BackendNotFoundException(String type, String message) {
        super(message);
        this.type = type;
    }

    /**
     * The queue type that no backend serves.
     *
     * @return the type, for example {@code "shm"}
     */
    public String type() {
        return type;
    }
}
