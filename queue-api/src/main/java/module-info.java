/**
 * Conduit's contract: {@link dev.conduit.queue.QueueDescriptor}, {@link dev.conduit.queue.MessageQueue},
 * the backend SPI and the codecs.
 */
module dev.conduit.queue {
    requires transitive org.slf4j;
    requires com.fasterxml.jackson.databind;
    requires com.esotericsoftware.kryo;
    requires org.objenesis;

    exports dev.conduit.queue;
    exports dev.conduit.queue.codec;
    exports dev.conduit.queue.spi;

    uses dev.conduit.queue.spi.QueueBackend;
    provides dev.conduit.queue.spi.QueueBackend with dev.conduit.queue.spi.ExistingBackend;
}
