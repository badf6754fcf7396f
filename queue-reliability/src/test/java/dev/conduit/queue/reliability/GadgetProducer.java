package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;

/**
 * A hostile producer process: writes, as raw bytes, the object-codec form of every gadget class in
 * {@link GadgetPayloads} and an unregistered class id, into the queue named by the descriptor JSON
 * of its only argument, then exits.
 */
public final class GadgetProducer {
    private GadgetProducer() {
    }

    /**
     * @param args the descriptor JSON
     * @throws Exception when the queue fails
     */
    public static void main(String[] args) throws Exception {
        try (MessageQueue<byte[]> raw = QueueDescriptor.fromJson(args[0]).open(Codecs.bytes())) {
            for (String name : GadgetPayloads.CLASS_NAMES) {
                raw.put(GadgetPayloads.byName(name));
            }
            raw.put(GadgetPayloads.unknownId());
        }
        System.exit(0);
    }
}
