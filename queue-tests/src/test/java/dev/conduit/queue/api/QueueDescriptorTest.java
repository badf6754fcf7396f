package dev.conduit.queue.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.conduit.queue.BackendNotFoundException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.spi.BackendRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link QueueDescriptor} on its own: no backend is opened. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class QueueDescriptorTest {

    private static QueueDescriptor sample() {
        return QueueDescriptor.shm("jobs").withNamespace("run-42").withCapacity(1024).withOption("itemSize", "4096")
                .withOption("backpressure", "DROP_OLDEST");
    }

    /** Equality ignores the creation time, so the exact round-trip checks compare it separately. */
    private static void assertIdentical(QueueDescriptor expected, QueueDescriptor actual) {
        assertEquals(expected, actual);
        assertEquals(expected.createdAt(), actual.createdAt());
        assertEquals(expected.toJson(), actual.toJson());
    }

    @Test
    void factoriesSetTypeIdAndDefaults() {
        QueueDescriptor d = QueueDescriptor.local("jobs");
        assertEquals("local", d.type());
        assertEquals("jobs", d.id());
        assertEquals(QueueDescriptor.DEFAULT_NAMESPACE, d.namespace());
        assertEquals(QueueDescriptor.DEFAULT_CAPACITY, d.capacity());
        assertEquals(Map.of(), d.options());
        assertEquals("priority", QueueDescriptor.priority("e").type());
        assertEquals("shm", QueueDescriptor.shm("e").type());
        assertEquals("ray", QueueDescriptor.ray("e").type());
        assertEquals("mytype", QueueDescriptor.of("mytype", "e").type());
        QueueDescriptor r = QueueDescriptor.rpc("localhost", 7070, "jobs");
        assertEquals("rpc", r.type());
        assertEquals(Map.of("host", "localhost", "port", "7070"), r.options());
    }

    @Test
    void jsonRoundTripIsExactIncludingCreationTime() {
        QueueDescriptor d = sample();
        assertIdentical(d, QueueDescriptor.fromJson(d.toJson()));
        QueueDescriptor minimal = QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"x\"}");
        assertEquals(QueueDescriptor.local("x"), minimal);
    }

    @Test
    void mapRoundTripIsExactIncludingCreationTime() {
        QueueDescriptor d = sample();
        Map<String, Object> map = d.toMap();
        assertEquals("shm", map.get("type"));
        assertEquals(1024, map.get("capacity"));
        assertEquals(d.createdAt().toString(), map.get("createdAt"));
        assertIdentical(d, QueueDescriptor.fromMap(map));
    }

    @Test
    void poolRoundTripKeepsNamesOrderAndEveryDescriptor() {
        Map<String, QueueDescriptor> pool = new LinkedHashMap<>();
        pool.put("out", sample());
        pool.put("in", QueueDescriptor.local("in").withCapacity(100));
        pool.put("remote", QueueDescriptor.rpc("10.0.0.1", 7070, "jobs"));
        Map<String, QueueDescriptor> back = QueueDescriptor.poolFromJson(QueueDescriptor.poolToJson(pool));
        assertEquals(List.copyOf(pool.keySet()), List.copyOf(back.keySet()));
        for (String name : pool.keySet()) {
            assertIdentical(pool.get(name), back.get(name));
        }
    }

    @Test
    void withIdClonesEverythingElseAndLeavesTheOriginalUnchanged() {
        QueueDescriptor d = sample();
        QueueDescriptor copy = d.withId("jobs-2");
        assertEquals("jobs-2", copy.id());
        assertEquals("jobs", d.id());
        assertEquals(d.type(), copy.type());
        assertEquals(d.namespace(), copy.namespace());
        assertEquals(d.capacity(), copy.capacity());
        assertEquals(d.options(), copy.options());
        assertEquals(d.createdAt(), copy.createdAt());
        assertNotEquals(d, copy);
        assertNotSame(d, copy);
    }

    @Test
    void descriptorsAreEqualByValueAndOptionsAreUnmodifiable() {
        QueueDescriptor a = QueueDescriptor.local("q").withOption("k", "v");
        QueueDescriptor b = QueueDescriptor.local("q").withOption("k", "v");
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, a.withOption("k", "w"));
        assertNotEquals(a, a.withCapacity(7));
        assertNotEquals(a, a.withNamespace("other"));
        assertEquals(a, a.withOption("z", "1").withoutOption("z"));
        assertThrows(UnsupportedOperationException.class, () -> a.options().put("x", "y"));
    }

    @Test
    void unknownFieldIsRejectedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"x\",\"maxsize\":5}"));
        assertTrue(e.getMessage().contains("'maxsize'"), e.getMessage());
        Map<String, Object> map = QueueDescriptor.local("x").toMap();
        map.put("colour", "blue");
        e = assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.fromMap(map));
        assertTrue(e.getMessage().contains("'colour'"), e.getMessage());
    }

    @Test
    void missingTypeOrIdIsRejectedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"id\":\"x\"}"));
        assertTrue(e.getMessage().contains("'type'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.fromJson("{\"type\":\"local\"}"));
        assertTrue(e.getMessage().contains("'id'"), e.getMessage());
    }

    @Test
    void wrongTypeOfValueIsRejectedNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"type\":7,\"id\":\"x\"}"));
        assertTrue(e.getMessage().contains("'type'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"x\",\"capacity\":\"big\"}"));
        assertTrue(e.getMessage().contains("'capacity'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"x\",\"options\":[1]}"));
        assertTrue(e.getMessage().contains("'options'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"x\",\"createdAt\":\"yesterday\"}"));
        assertTrue(e.getMessage().contains("'createdAt'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.fromJson("{\"type\":\"Local Queue\",\"id\":\"x\"}"));
        assertTrue(e.getMessage().contains("'type'"), e.getMessage());
    }

    @Test
    void negativeOrZeroCapacityIsRejectedNamingTheField() {
        for (String cap : List.of("-1", "0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> QueueDescriptor.fromJson("{\"type\":\"local\",\"id\":\"x\",\"capacity\":" + cap + "}"));
            assertTrue(e.getMessage().contains("'capacity'"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.local("x").withCapacity(-5));
        assertTrue(e.getMessage().contains("'capacity'"), e.getMessage());
    }

    @Test
    void malformedJsonIsAnIllegalArgumentException() {
        for (String bad : List.of("{", "not json", "[1,2]", "\"text\"", "{\"type\":\"local\",\"id\":\"x\"")) {
            assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.fromJson(bad), bad);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.poolFromJson("{\"good\":{\"type\":\"local\",\"id\":\"a\"},\"bad\":{\"id\":\"b\"}}"));
        assertTrue(e.getMessage().contains("'bad'") && e.getMessage().contains("'type'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.poolFromJson("[]"));
    }

    @Test
    void rpcFactoryRefusesABadPortOrBlankHost() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QueueDescriptor.rpc("localhost", 70_000, "x"));
        assertTrue(e.getMessage().contains("'port'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QueueDescriptor.rpc(" ", 7070, "x"));
        assertTrue(e.getMessage().contains("'host'"), e.getMessage());
    }

    @Test
    void javaSerializationRoundTripIsExact() throws Exception {
        QueueDescriptor d = sample();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(d);
        }
        Object back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = in.readObject();
        }
        assertIdentical(d, assertInstanceOf(QueueDescriptor.class, back));
    }

    @Test
    void creationTimeSurvivesEveryWithMethod() {
        QueueDescriptor d = QueueDescriptor.fromJson(
                "{\"type\":\"local\",\"id\":\"x\",\"createdAt\":\"2020-01-02T03:04:05.123456789Z\"}");
        Instant t = Instant.parse("2020-01-02T03:04:05.123456789Z");
        assertEquals(t, d.createdAt());
        assertEquals(t, d.withId("y").withNamespace("n").withCapacity(3).withOption("a", "b")
                .withOptions(Map.of("c", "d")).withoutOption("a").createdAt());
    }

    @Test
    void fromExistingWrapsTheQueueUnderItsIdAndRefusesASecondObjectWithThatId() throws Exception {
        ArrayBlockingQueue<String> legacy = new ArrayBlockingQueue<>(10);
        legacy.add("already-there");
        QueueDescriptor d = QueueDescriptor.fromExisting(legacy, "legacy-" + System.nanoTime());
        assertEquals("existing", d.type());
        assertEquals(10, d.capacity());
        try (MessageQueue<String> q = d.open()) {
            assertEquals("already-there", q.getNowait());
            q.put("through-conduit");
            assertEquals("through-conduit", legacy.poll());
            assertThrows(IllegalArgumentException.class,
                    () -> QueueDescriptor.fromExisting(new ArrayBlockingQueue<>(1), d.id()));
        } finally {
            d.open().destroy();
        }
    }

    @Test
    void openIsLazyAndAnUnknownTypeFailsOnFirstUseNamingTheType() {
        MessageQueue<String> q = QueueDescriptor.of("nosuchtype", "x").open();
        BackendNotFoundException e = assertThrows(BackendNotFoundException.class, q::size);
        assertEquals("nosuchtype", e.type());
        assertTrue(e.getMessage().contains("'nosuchtype'"), e.getMessage());
    }

    @Test
    void missingShippedBackendNamesTheMavenArtifactToAdd() {
        List<String> missing = List.of("shm", "rpc", "ray").stream()
                .filter(t -> !BackendRegistry.getDefault().types().contains(t)).toList();
        assumeFalse(missing.isEmpty(), "every shipped backend is on this class path");
        for (String type : missing) {
            MessageQueue<String> q = QueueDescriptor.of(type, "x").open();
            BackendNotFoundException e = assertThrows(BackendNotFoundException.class, q::size);
            assertTrue(e.getMessage().contains("dev.conduit:queue-" + type), e.getMessage());
        }
    }
}
