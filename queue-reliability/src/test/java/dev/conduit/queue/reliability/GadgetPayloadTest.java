package dev.conduit.queue.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Known gadget entry points and unregistered classes sent as object-codec bytes: each is refused
 * with {@link SerializationException} and none is loaded or instantiated. The cross-process suites
 * of shm, rpc and ray send the same payloads through their queues.
 */
@Timeout(60)
class GadgetPayloadTest {
    static final java.util.List<String> GADGETS = GadgetPayloads.CLASS_NAMES;

    @BeforeEach
    void clearCanary() {
        System.clearProperty("conduit.gadget.canary");
    }

    @ParameterizedTest
    @FieldSource("GADGETS")
    void gadgetClassNamedInBytesIsRefusedBeforeLoading(String className) {
        Codec<Object> codec = Codecs.objects();
        byte[] payload = GadgetPayloads.byName(className);
        SerializationException e = assertThrows(SerializationException.class,
                () -> codec.decode(payload, 0, payload.length));
        assertTrue(e.getMessage().contains("allow-list"), e.getMessage());
        assertNull(System.getProperty("conduit.gadget.canary"), "the canary class was initialized");
    }

    @Test
    void unregisteredClassIdIsRefused() {
        byte[] payload = GadgetPayloads.unknownId();
        assertThrows(SerializationException.class, () -> Codecs.objects().decode(payload, 0, payload.length));
    }

    @Test
    void encodingAClassThatIsNotAllowedIsRefusedWithTheCallThatAllowsIt() {
        SerializationException e = assertThrows(SerializationException.class,
                () -> Codecs.objects().encode(new GadgetCanary()));
        assertTrue(e.getMessage().contains("Codecs.allow(GadgetCanary.class)"), e.getMessage());
    }

    @Test
    void gadgetBytesPutThroughAQueueAreRefusedByTheReaderAndTheQueueStaysUsable() throws Exception {
        QueueDescriptor d = QueueDescriptor.local("gadgets").withNamespace("reliability");
        try (MessageQueue<byte[]> raw = d.open(Codecs.bytes())) {
            for (String name : GADGETS) {
                raw.put(GadgetPayloads.byName(name));
            }
            Codec<Object> objects = Codecs.objects();
            int refused = 0;
            for (int i = 0; i < GADGETS.size(); i++) {
                byte[] b = raw.get(Duration.ofSeconds(1));
                assertThrows(SerializationException.class, () -> objects.decode(b, 0, b.length));
                refused++;
            }
            assertEquals(GADGETS.size(), refused);
            raw.put(Codecs.objects().encode("still fine"));
            byte[] ok = raw.get(Duration.ofSeconds(1));
            assertEquals("still fine", Codecs.objects().decode(ok, 0, ok.length));
            assertNull(System.getProperty("conduit.gadget.canary"));
            raw.destroy();
        }
    }
}
