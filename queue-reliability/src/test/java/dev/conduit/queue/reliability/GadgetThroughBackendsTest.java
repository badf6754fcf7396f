package dev.conduit.queue.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.rpc.QueueServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gadget payloads and an unregistered class, written as raw bytes by another process
 * ({@link GadgetProducer}) into an {@code shm} queue and into an {@code rpc} queue on a real
 * server: a consumer with the default object codec gets a {@link SerializationException} for each,
 * no gadget class is instantiated ({@link GadgetCanary} stays uninitialized), and the queue then
 * delivers a legitimate item.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GadgetThroughBackendsTest {
    private static final int PAYLOADS = GadgetPayloads.CLASS_NAMES.size() + 1;

    @BeforeEach
    void clearCanary() {
        System.clearProperty("conduit.gadget.canary");
    }

    private static void writeFromAnotherProcess(QueueDescriptor d, Path dir) throws Exception {
        try (ChildJvms children = new ChildJvms(dir.resolve("logs"))) {
            Process producer = children.start(GadgetProducer.class, List.of(), d.toJson());
            assertEquals(0, ChildJvms.await(producer, 60), "the gadget producer failed; its log is in " + dir);
        }
    }

    /** Each get refuses one payload; then the queue still works. */
    private static void consumerRefusesEveryPayloadAndCarriesOn(QueueDescriptor d) throws Exception {
        try (MessageQueue<Object> consumer = d.open()) {
            for (int i = 0; i < PAYLOADS; i++) {
                assertThrows(SerializationException.class, () -> consumer.get(Duration.ofSeconds(10)),
                        "payload " + i + " of " + PAYLOADS);
                assertNull(System.getProperty("conduit.gadget.canary"), "the canary class was initialized");
            }
            consumer.put("legitimate");
            assertEquals("legitimate", consumer.get(Duration.ofSeconds(10)));
            assertEquals(0, consumer.size());
            consumer.destroy();
        }
        assertNull(System.getProperty("conduit.gadget.canary"), "the canary class was initialized");
    }

    @Test
    void gadgetBytesWrittenToAnShmQueueByAnotherProcessAreRefusedByTheObjectCodecConsumer(@TempDir Path dir)
            throws Exception {
        QueueDescriptor d = QueueDescriptor.shm("gadgets").withNamespace("reliability").withCapacity(64)
                .withOption("dir", dir.toString()).withOption("itemSize", "512");
        writeFromAnotherProcess(d, dir);
        consumerRefusesEveryPayloadAndCarriesOn(d);
    }

    @Test
    void gadgetBytesSentToAnRpcServerByAnotherProcessAreRefusedByTheObjectCodecConsumer(@TempDir Path dir)
            throws Exception {
        try (QueueServer server = QueueServer.builder().host("127.0.0.1").port(0).start()) {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", server.port(), "gadgets")
                    .withNamespace("reliability").withCapacity(64);
            writeFromAnotherProcess(d, dir);
            consumerRefusesEveryPayloadAndCarriesOn(d);
        }
    }
}
