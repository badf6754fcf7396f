package dev.conduit.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reading a descriptor is strict (docs/descriptors.md): what is not one descriptor is refused. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class QueueDescriptorStrictJsonTest {

    private static IllegalArgumentException refused(String json) {
        return assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.fromJson(json), json);
    }

    @Test
    void textAfterTheDescriptorIsRefused() {
        refused("{\"type\":\"local\",\"id\":\"a\"} {\"type\":\"shm\",\"id\":\"b\"}");
        refused("{\"type\":\"local\",\"id\":\"a\"} trailing");
        refused("{\"type\":\"local\",\"id\":\"a\"}]");
        assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.poolFromJson("{\"in\":{\"type\":\"local\",\"id\":\"a\"}} {}"));
        assertEquals("a", QueueDescriptor.fromJson(" {\"type\":\"local\",\"id\":\"a\"}\n").id());
    }

    @Test
    void aFieldGivenTwiceIsRefusedNamingIt() {
        IllegalArgumentException e = refused("{\"type\":\"local\",\"id\":\"a\",\"type\":\"shm\"}");
        assertTrue(e.getMessage().contains("type"), e.getMessage());
        e = refused("{\"type\":\"local\",\"id\":\"a\",\"options\":{\"host\":\"x\",\"host\":\"y\"}}");
        assertTrue(e.getMessage().contains("host"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.poolFromJson(
                "{\"in\":{\"type\":\"local\",\"id\":\"a\"},\"in\":{\"type\":\"shm\",\"id\":\"b\"}}"));
        assertTrue(e.getMessage().contains("in"), e.getMessage());
    }

    @Test
    void badFieldsAreRefusedNamingThem() {
        assertTrue(refused("{\"type\":\"local\",\"id\":\"a\",\"colour\":\"red\"}").getMessage().contains("colour"));
        assertTrue(refused("{\"id\":\"a\"}").getMessage().contains("type"));
        for (String cap : new String[] {"0", "-1", "2147483648", "1.5", "\"5\"", "true"}) {
            assertTrue(refused("{\"type\":\"local\",\"id\":\"a\",\"capacity\":" + cap + "}").getMessage()
                    .contains("capacity"), cap);
        }
        assertTrue(refused("{\"type\":\"local\",\"id\":\"\u00e9t\u00e9\"}").getMessage().contains("id"));
        assertTrue(refused("{\"type\":\"local\",\"id\":\"a\",\"options\":{\"k\":{}}}").getMessage().contains("k"));
        assertTrue(refused("{\"type\":\"local\",\"id\":\"a\",\"options\":{\"k\":null}}").getMessage().contains("k"));
        assertTrue(refused("{\"type\":\"local\",\"id\":\"a\",\"createdAt\":\"yesterday\"}").getMessage()
                .contains("createdAt"));
        refused("{\"type\":\"local\",\"id\":\"a\",\"options\":{\"k\":" + "[".repeat(5000) + "]".repeat(5000) + "}}");
        assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromMap(Map.of("type", "local", "id", "a", "capacity", "5")));
        assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromMap(Map.of("type", "local", "id", "a", "options", List.of("x"))));
        assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromMap(Map.of("type", "local", "id", "a", "options", Map.of("k", new Object()))));
    }

    @Test
    void everyRoundTripGivesAnEqualDescriptorWithTheSameCreationTime() throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        opts.put("zeta", "1");
        opts.put("alpha", "\u00e9\uD83D\uDE00 \"quoted\"\n");
        QueueDescriptor d = QueueDescriptor.of("x-1", "q.1").withNamespace("run_42").withCapacity(Integer.MAX_VALUE)
                .withOptions(opts);
        Map<String, String> reversed = new TreeMap<>(java.util.Collections.reverseOrder());
        reversed.putAll(opts);
        QueueDescriptor other = QueueDescriptor.of("x-1", "q.1").withNamespace("run_42")
                .withCapacity(Integer.MAX_VALUE).withOptions(reversed);
        assertEquals(d, other);
        assertEquals(d.hashCode(), other.hashCode());
        assertEquals(d.toJson(), other.withId("q.1").toJson().replace(other.createdAt().toString(),
                d.createdAt().toString()));

        Codec<Object> objects = Codecs.objects();
        byte[] b = objects.encode(d);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
            out.writeObject(d);
        }
        QueueDescriptor viaJava;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
            viaJava = (QueueDescriptor) in.readObject();
        }
        for (QueueDescriptor back : new QueueDescriptor[] {QueueDescriptor.fromJson(d.toJson()),
            QueueDescriptor.fromMap(d.toMap()), QueueDescriptor.poolFromJson(QueueDescriptor.poolToJson(
                    Map.of("p", d))).get("p"), (QueueDescriptor) objects.decode(b, 0, b.length), viaJava}) {
            assertEquals(d, back);
            assertEquals(d.hashCode(), back.hashCode());
            assertEquals(d.createdAt(), back.createdAt());
            assertEquals(d.toJson(), back.toJson());
        }
        Instant nanos = Instant.parse("2026-11-23T15:37:20.123456789Z");
        assertEquals(nanos, QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"a\",\"createdAt\":\""
                + nanos + "\"}").createdAt());
    }

    @Test
    void aDescriptorSentThroughALocalQueueOpensTheSameQueue() throws Exception {
        QueueDescriptor carrier = QueueDescriptor.fromExisting(new java.util.concurrent.ArrayBlockingQueue<>(4),
                "carrier-" + System.nanoTime());
        QueueDescriptor target = QueueDescriptor.fromExisting(new java.util.concurrent.ArrayBlockingQueue<>(4),
                "target-" + System.nanoTime());
        try (MessageQueue<QueueDescriptor> c = carrier.open(); MessageQueue<String> t = target.open()) {
            c.put(target);
            try (MessageQueue<String> other = c.get().open()) {
                other.put("hello");
            }
            assertEquals("hello", t.get(java.time.Duration.ofSeconds(5)));
        }
    }
}
