package dev.conduit.queue.ray;

/** The benchmark's reference: a Ray actor call carrying the same payload, with no queue logic. */
public final class EchoActor {
    /** Made by Ray. */
    public EchoActor() {
    }

    /**
     * @param payload any bytes
     * @return the same bytes
     */
    public byte[] echo(byte[] payload) {
        return payload;
    }
}
