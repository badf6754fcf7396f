package dev.conduit.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.ExistingQueues;
import dev.conduit.queue.spi.StoreQueue;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.regex.Pattern;

/**
 * Names a queue and the backend that serves it: an immutable value, equal by value, that travels
 * as JSON (or through another queue) to any process, where {@link #open()} opens the very same
 * queue.
 *
 * <p>A descriptor holds a type ({@code local}, {@code priority}, {@code shm}, {@code rpc},
 * {@code ray}, or any type a backend on the class path serves), an id, a namespace (the seed's
 * run id: queues in different namespaces never meet), a capacity, string options for the backend,
 * and the time it was first made. Equality and hash code cover everything but the creation time,
 * which is informational and survives every round trip exactly.
 *
 * <p>Immutable and thread-safe.
 */
public final class QueueDescriptor implements Serializable {
    /** Version of the serialized form (which is the JSON text, see writeReplace). */
    private static final long serialVersionUID = 1L;

    /** The namespace of a descriptor that names none. */
    public static final String DEFAULT_NAMESPACE = "default";
    /** The capacity of a descriptor that names none. */
    public static final int DEFAULT_CAPACITY = 1024;

    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Set<String> FIELDS = Set.of("type", "id", "namespace", "capacity", "options", "createdAt");
    /**
     * Reads exactly one JSON value, each name once: text after it, or a field given twice (which
     * other readers may take the first of), means the input is not one descriptor (or pool).
     */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** The backend type. */
    private final String type;
    /** The queue's id within its namespace. */
    private final String id;
    /** The namespace. */
    private final String namespace;
    /** The most items the queue holds. */
    private final int capacity;
    /** Backend options, sorted, unmodifiable. */
    private final Map<String, String> options;
    /** When the descriptor was first made. */
    private final Instant createdAt;

    private QueueDescriptor(String type, String id, String namespace, int capacity, Map<String, String> options,
            Instant createdAt) {
        this.type = check("type", type, TYPE, "lower-case letters, digits, '_' or '-', starting with a letter");
        this.id = check("id", id, NAME, "letters, digits, '.', '_' or '-', at most 128, not starting with a symbol");
        this.namespace = check("namespace", namespace, NAME,
                "letters, digits, '.', '_' or '-', at most 128, not starting with a symbol");
        if (capacity < 1) {
            throw new IllegalArgumentException("field 'capacity' must be at least 1, not " + capacity);
        }
        this.capacity = capacity;
        TreeMap<String, String> copy = new TreeMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("field 'options' has an empty key");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("field 'options." + e.getKey() + "' is null");
            }
            copy.put(e.getKey(), e.getValue());
        }
        this.options = Collections.unmodifiableMap(copy);
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
    }

    private static String check(String field, String value, Pattern pattern, String rule) {
        if (value == null) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        if (!pattern.matcher(value).matches()) {
            throw new IllegalArgumentException("field '" + field + "' is '" + value + "': it must be " + rule);
        }
        return value;
    }

    /**
     * A descriptor of any type, with the default namespace and capacity.
     *
     * @param type the backend type, for example {@code "local"}
     * @param id the queue's id within its namespace
     * @return the descriptor
     * @throws IllegalArgumentException if type or id is malformed
     */
    public static QueueDescriptor of(String type, String id) {
        return new QueueDescriptor(type, id, DEFAULT_NAMESPACE, DEFAULT_CAPACITY, Map.of(), Instant.now());
    }

    /**
     * An in-JVM queue ({@code queue-local}).
     *
     * @param id the queue's id
     * @return the descriptor
     */
    public static QueueDescriptor local(String id) {
        return of("local", id);
    }

    /**
     * An in-JVM priority queue ({@code queue-priority}).
     *
     * @param id the queue's id
     * @return the descriptor
     */
    public static QueueDescriptor priority(String id) {
        return of("priority", id);
    }

    /**
     * A shared-memory queue that every process on the host opens by name ({@code queue-shm}).
     *
     * @param id the queue's id
     * @return the descriptor
     */
    public static QueueDescriptor shm(String id) {
        return of("shm", id);
    }

    /**
     * A queue hosted by a Conduit {@code QueueServer} ({@code queue-rpc}).
     *
     * @param host the server's host name or address
     * @param port the server's port
     * @param id the queue's id on that server
     * @return the descriptor
     * @throws IllegalArgumentException if the port is outside 1–65535 or the host is blank
     */
    public static QueueDescriptor rpc(String host, int port, String id) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("option 'host' is blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("option 'port' must be 1-65535, not " + port);
        }
        return of("rpc", id).withOption("host", host).withOption("port", Integer.toString(port));
    }

    /**
     * A queue that lives in a named Ray actor ({@code queue-ray}).
     *
     * @param id the queue's id
     * @return the descriptor
     */
    public static QueueDescriptor ray(String id) {
        return of("ray", id);
    }

    /**
     * Wraps a {@link BlockingQueue} you already have (the seed's "from existing queue"). The
     * descriptor has type {@code existing}; it opens the wrapped object in this JVM only, and a
     * process that receives it elsewhere gets a clear error on first use.
     *
     * @param queue the queue to wrap
     * @param id the id to register it under, unique in the default namespace of this JVM
     * @return the descriptor
     * @throws IllegalArgumentException if another queue is registered under that id
     */
    public static QueueDescriptor fromExisting(BlockingQueue<?> queue, String id) {
        Objects.requireNonNull(queue, "queue");
        int cap = queue.remainingCapacity() == Integer.MAX_VALUE
                ? Integer.MAX_VALUE
                : queue.remainingCapacity() + queue.size();
        QueueDescriptor d = new QueueDescriptor("existing", id, DEFAULT_NAMESPACE, Math.max(1, cap), Map.of(),
                Instant.now());
        ExistingQueues.register(d, queue);
        return d;
    }

    /**
     * This descriptor with another id (the seed's {@code clone}).
     *
     * @param newId the new id
     * @return a new descriptor
     */
    public QueueDescriptor withId(String newId) {
        return new QueueDescriptor(type, newId, namespace, capacity, options, createdAt);
    }

    /**
     * This descriptor in another namespace.
     *
     * @param newNamespace the namespace
     * @return a new descriptor
     */
    public QueueDescriptor withNamespace(String newNamespace) {
        return new QueueDescriptor(type, id, newNamespace, capacity, options, createdAt);
    }

    /**
     * This descriptor with another capacity.
     *
     * @param newCapacity at least 1
     * @return a new descriptor
     */
    public QueueDescriptor withCapacity(int newCapacity) {
        return new QueueDescriptor(type, id, namespace, newCapacity, options, createdAt);
    }

    /**
     * This descriptor with an option set (replacing any previous value).
     *
     * @param key the option name
     * @param value its value
     * @return a new descriptor
     */
    public QueueDescriptor withOption(String key, String value) {
        Map<String, String> copy = new TreeMap<>(options);
        copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new QueueDescriptor(type, id, namespace, capacity, copy, createdAt);
    }

    /**
     * This descriptor with several options set.
     *
     * @param more the options to add or replace
     * @return a new descriptor
     */
    public QueueDescriptor withOptions(Map<String, String> more) {
        Map<String, String> copy = new TreeMap<>(options);
        copy.putAll(more);
        return new QueueDescriptor(type, id, namespace, capacity, copy, createdAt);
    }

    /**
     * This descriptor without an option.
     *
     * @param key the option name
     * @return a new descriptor
     */
    public QueueDescriptor withoutOption(String key) {
        Map<String, String> copy = new TreeMap<>(options);
        copy.remove(key);
        return new QueueDescriptor(type, id, namespace, capacity, copy, createdAt);
    }

    /** @return the backend type */
    public String type() {
        return type;
    }

    /** @return the queue's id within its namespace */
    public String id() {
        return id;
    }

    /** @return the namespace */
    public String namespace() {
        return namespace;
    }

    /** @return the capacity */
    public int capacity() {
        return capacity;
    }

    /** @return the options, sorted by key, unmodifiable */
    public Map<String, String> options() {
        return options;
    }

    /**
     * One option.
     *
     * @param key the option name
     * @param fallback what to return when it is not set
     * @return the value or the fallback
     */
    public String option(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    /**
     * One option as an integer.
     *
     * @param key the option name
     * @param fallback what to return when it is not set
     * @return the value
     * @throws IllegalArgumentException naming the option when the value is not an integer
     */
    public long longOption(String key, long fallback) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option '" + key + "' must be an integer, not '" + v + "'");
        }
    }

    /**
     * One option as a boolean ({@code true}/{@code false}, case-insensitive).
     *
     * @param key the option name
     * @param fallback what to return when it is not set
     * @return the value
     * @throws IllegalArgumentException naming the option when the value is not a boolean
     */
    public boolean booleanOption(String key, boolean fallback) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("option '" + key + "' must be true or false, not '" + v + "'");
    }

    /** @return when this descriptor was first made; kept by every copy and round trip */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * A short human name: {@code type:namespace/id}.
     *
     * @return the name
     */
    public String qualifiedName() {
        return type + ":" + namespace + "/" + id;
    }

    /**
     * Opens the queue with the default object codec ({@link Codecs#objects()}). Returns at once:
     * nothing is created or connected until the first operation.
     *
     * @param <T> the item type
     * @return a handle
     */
    public <T> MessageQueue<T> open() {
        return open(Codecs.objects());
    }

    /**
     * Opens the queue with a codec. Returns at once: the backend is found, and the queue created
     * or attached, on the first operation.
     *
     * @param <T> the item type
     * @param codec how items become bytes, for backends that move bytes
     * @return a handle
     */
    public <T> MessageQueue<T> open(Codec<T> codec) {
        return new StoreQueue<>(this, Objects.requireNonNull(codec, "codec"));
    }

    /**
     * The descriptor as a map of plain values (String, Integer, Map), for embedding in other
     * formats.
     *
     * @return a new mutable map
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("id", id);
        m.put("namespace", namespace);
        m.put("capacity", capacity);
        m.put("options", new LinkedHashMap<>(options));
        m.put("createdAt", createdAt.toString());
        return m;
    }

    /**
     * Reads a descriptor from {@link #toMap()}'s form.
     *
     * @param map the map
     * @return the descriptor
     * @throws IllegalArgumentException naming the field when a field is unknown, missing or wrong
     */
    public static QueueDescriptor fromMap(Map<String, ?> map) {
        Objects.requireNonNull(map, "map");
        return fromTree(JSON.valueToTree(map));
    }

    /**
     * The descriptor as compact JSON, fields in a fixed order.
     *
     * @return the JSON text
     */
    public String toJson() {
        return toTree().toString();
    }

    private ObjectNode toTree() {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", type);
        n.put("id", id);
        n.put("namespace", namespace);
        n.put("capacity", capacity);
        ObjectNode o = n.putObject("options");
        options.forEach(o::put);
        n.put("createdAt", createdAt.toString());
        return n;
    }

    /**
     * Reads a descriptor from JSON. Only {@code type} and {@code id} are required; the rest take
     * their defaults.
     *
     * @param json the JSON text
     * @return the descriptor
     * @throws IllegalArgumentException naming the field when the JSON is malformed, or a field is
     *     unknown, missing or of the wrong kind
     */
    public static QueueDescriptor fromJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("descriptor JSON is malformed: " + e.getOriginalMessage());
        }
        return fromTree(tree);
    }

    private static QueueDescriptor fromTree(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("a descriptor must be a JSON object");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + f + "' in descriptor (known: type, id, "
                        + "namespace, capacity, options, createdAt)");
            }
        }
        String type = text(n, "type", null);
        String id = text(n, "id", null);
        String namespace = text(n, "namespace", DEFAULT_NAMESPACE);
        int capacity = DEFAULT_CAPACITY;
        JsonNode c = n.get("capacity");
        if (c != null && !c.isNull()) {
            if (!c.isIntegralNumber() || !c.canConvertToInt()) {
                throw new IllegalArgumentException("field 'capacity' must be an integer, not " + c);
            }
            capacity = c.intValue();
        }
        Map<String, String> options = new TreeMap<>();
        JsonNode o = n.get("options");
        if (o != null && !o.isNull()) {
            if (!o.isObject()) {
                throw new IllegalArgumentException("field 'options' must be an object of strings");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (!v.isValueNode() || v.isNull()) {
                    throw new IllegalArgumentException("field 'options." + e.getKey() + "' must be a string");
                }
                options.put(e.getKey(), v.asText());
            }
        }
        Instant createdAt = Instant.now();
        String ts = text(n, "createdAt", null);
        if (ts != null) {
            try {
                createdAt = Instant.parse(ts);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("field 'createdAt' must be an ISO-8601 instant, not '" + ts + "'");
            }
        }
        return new QueueDescriptor(type, id, namespace, capacity, options, createdAt);
    }

    private static String text(JsonNode n, String field, String fallback) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null && (field.equals("type") || field.equals("id"))) {
                throw new IllegalArgumentException("field '" + field + "' is missing");
            }
            return fallback;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string, not " + v);
        }
        return v.textValue();
    }

    /**
     * Writes a pool of named descriptors (the seed's {@code serialize_queue_pool}) as one JSON
     * object.
     *
     * @param pool names to descriptors
     * @return the JSON text; names keep the map's iteration order
     */
    public static String poolToJson(Map<String, QueueDescriptor> pool) {
        ObjectNode root = JSON.createObjectNode();
        pool.forEach((name, d) -> root.set(Objects.requireNonNull(name, "pool name"),
                Objects.requireNonNull(d, "descriptor '" + name + "'").toTree()));
        return root.toString();
    }

    /**
     * Reads a pool written by {@link #poolToJson(Map)}.
     *
     * @param json the JSON text
     * @return names to descriptors, in the JSON's order
     * @throws IllegalArgumentException naming the pool entry and field when anything is wrong
     */
    public static Map<String, QueueDescriptor> poolFromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("pool JSON is malformed: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("a descriptor pool must be a JSON object of name to descriptor");
        }
        Map<String, QueueDescriptor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                out.put(e.getKey(), fromTree(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("pool entry '" + e.getKey() + "': " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QueueDescriptor)) {
            return false;
        }
        QueueDescriptor d = (QueueDescriptor) o;
        return capacity == d.capacity && type.equals(d.type) && id.equals(d.id) && namespace.equals(d.namespace)
                && options.equals(d.options);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, id, namespace, capacity, options);
    }

    @Override
    public String toString() {
        return "QueueDescriptor" + toJson();
    }

    /**
     * Java serialization writes the JSON form instead of the fields.
     *
     * @return the serialized form
     * @throws ObjectStreamException never
     */
    private Object writeReplace() throws ObjectStreamException {
        return new JsonForm(toJson());
    }

    /**
     * Refuses a stream that carries the fields directly: only the JSON form is accepted.
     *
     * @param in the stream
     * @throws java.io.InvalidObjectException always
     */
    private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("QueueDescriptor travels as JSON");
    }

    /** Java serialization form: the JSON text, validated again on the way in. */
    private static final class JsonForm implements Serializable {
        /** Version of the serialized form. */
        private static final long serialVersionUID = 1L;
        /** The descriptor's JSON. */
        private final String json;

        JsonForm(String json) {
            this.json = json;
        }

        private Object readResolve() throws ObjectStreamException {
            try {
                return fromJson(json);
            } catch (IllegalArgumentException e) {
                java.io.InvalidObjectException ex = new java.io.InvalidObjectException(e.getMessage());
                ex.initCause(e);
                throw ex;
            }
        }
    }
}
