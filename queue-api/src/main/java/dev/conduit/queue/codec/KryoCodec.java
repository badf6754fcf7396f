package dev.conduit.queue.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.SerializerFactory;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.serializers.DefaultArraySerializers;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.serializers.MapSerializer;
import com.esotericsoftware.kryo.util.Pool;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.objenesis.strategy.StdInstantiatorStrategy;

/**
 * The default object codec: Kryo with registration required. Built-in types (strings, boxed
 * primitives, primitive arrays, the common collections, {@code java.time} values, big numbers,
 * UUIDs, {@link QueueDescriptor}) need nothing; any other class must be on the {@link AllowList},
 * on the writing side and the reading side. Records and plain classes of your own work once
 * allowed. Bytes from elsewhere never instantiate a class that is not allowed, nor make the decoder
 * allocate for a length they claim but do not hold (an item may hold at most 1,048,576 objects that
 * take no bytes, such as empty lists or empty records); such bytes are refused with
 * {@link SerializationException}.
 *
 * <p>Thread-safe: Kryo instances are pooled. Object graphs must be acyclic (references are not
 * tracked, for speed).
 *
 * @param <T> the item type
 */
public final class KryoCodec<T> implements Codec<T> {
    private static final int MAX_BUFFER = 256 * 1024 * 1024;

    private final AllowList allow;
    private final Pool<Kryo> kryos;
    private final Pool<Output> outputs;

    /**
     * A codec over an allow-list.
     *
     * @param allow the classes allowed beyond the built-ins; later additions apply at once
     */
    public KryoCodec(AllowList allow) {
        this.allow = Objects.requireNonNull(allow, "allow");
        this.kryos = new Pool<>(true, false, 64) {
            @Override
            protected Kryo create() {
                return newKryo(KryoCodec.this.allow);
            }
        };
        this.outputs = new Pool<>(true, false, 64) {
            @Override
            protected Output create() {
                return new Output(256, MAX_BUFFER);
            }
        };
    }

    /** @return the allow-list this codec consults */
    public AllowList allowList() {
        return allow;
    }

    @Override
    public String name() {
        return "kryo";
    }

    @Override
    public byte[] encode(T item) {
        Kryo kryo = kryos.obtain();
        Output out = outputs.obtain();
        try {
            out.reset();
            kryo.writeClassAndObject(out, item);
            return out.toBytes();
        } catch (RuntimeException e) {
            // Whatever Kryo throws (including reflection refusals of the module system) is a
            // failure to encode this item, reported as the documented exception.
            throw translate("encode", e);
        } catch (StackOverflowError e) {
            throw new SerializationException("cannot encode a cyclic or very deep object graph", e);
        } finally {
            if (out.getBuffer().length > 64 * 1024) {
                out.setBuffer(new byte[256], MAX_BUFFER);
            }
            outputs.free(out);
            kryos.free(kryo);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public T decode(byte[] bytes, int offset, int length) {
        Kryo kryo = kryos.obtain();
        try {
            Input in = new BoundedInput(bytes, offset, length);
            Object o = kryo.readClassAndObject(in);
            if (in.position() != offset + length) {
                throw new SerializationException("item has " + (offset + length - in.position())
                        + " trailing bytes: the bytes were not written by this codec");
            }
            return (T) o;
        } catch (RuntimeException e) {
            // Bytes from elsewhere may be anything: every failure is the documented exception.
            throw translate("decode", e);
        } catch (OutOfMemoryError | StackOverflowError e) {
            throw new SerializationException("refused to decode: the bytes describe an impossible object", e);
        } finally {
            kryos.free(kryo);
        }
    }

    private static SerializationException translate(String what, RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SerializationException) {
                return (SerializationException) t;
            }
        }
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("Class is not registered")) {
            String cls = msg.replaceAll("(?s).*Class is not registered: ([^\\s]+).*", "$1");
            return new SerializationException("cannot " + what + " class " + cls + ": it is not on the codec's "
                    + "allow-list; allow it with Codecs.allow(" + cls.substring(cls.lastIndexOf('.') + 1)
                    + ".class) on both sides", e);
        }
        return new SerializationException("cannot " + what + " item: " + msg.lines().findFirst().orElse(msg), e);
    }

    static Kryo newKryo(AllowList allow) {
        Kryo k = new BoundedKryo(new AllowListClassResolver(allow));
        k.setRegistrationRequired(true);
        k.setReferences(false);
        k.setInstantiatorStrategy(new com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        // Fixed ids: both sides of a queue run the same registration list, in this order.
        int id = 20;
        for (Class<?> c : new Class<?>[] {
            byte[].class, short[].class, int[].class, long[].class, float[].class, double[].class,
            char[].class, boolean[].class, String[].class, Object[].class,
            Byte.class, Short.class, Integer.class, Long.class, Float.class, Double.class, Character.class,
            Boolean.class,
            BigInteger.class, BigDecimal.class,
            ArrayList.class, LinkedList.class, ArrayDeque.class, HashMap.class, LinkedHashMap.class,
            TreeMap.class, HashSet.class, LinkedHashSet.class, TreeSet.class,
            Instant.class, Duration.class, LocalDate.class, LocalTime.class, LocalDateTime.class,
            ZonedDateTime.class, java.time.ZoneOffset.class, java.time.ZoneId.of("Europe/Paris").getClass(),
        }) {
            k.register(c, id++);
        }
        k.register(Arrays.asList().getClass(), new ListAsArrayList(), id++);
        k.register(Collections.emptyList().getClass(), id++);
        k.register(Collections.emptyMap().getClass(), id++);
        k.register(Collections.emptySet().getClass(), id++);
        k.register(Collections.singletonList(0).getClass(), id++);
        k.register(Collections.unmodifiableList(new ArrayList<>()).getClass(), new ListAsArrayList(), id++);
        k.register(Collections.unmodifiableMap(new HashMap<>()).getClass(), new MapAsLinkedHashMap(), id++);
        k.register(QueueDescriptor.class, new DescriptorSerializer(), id++);
        k.register(UUID.class, new UuidSerializer(), id++);
        ImmutableCollectionsSerializers.registerSerializers(k);
        boundAllocations(k);
        return k;
    }

    /**
     * Kryo sizes arrays, strings and some collections up front from a length in the bytes; bytes
     * from elsewhere may claim any length. The serializers that do so are replaced or wrapped by ones
     * that keep the same bytes but never allocate more than the bytes left can fill (see
     * {@link BoundedInput}, which does it for strings and primitive arrays).
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void boundAllocations(Kryo k) {
        k.getRegistration(ArrayList.class).setSerializer(new BoundedCollectionSerializer());
        k.getRegistration(HashSet.class).setSerializer(new BoundedCollectionSerializer());
        k.getRegistration(HashMap.class).setSerializer(new BoundedMapSerializer());
        for (Object list : new Object[] {java.util.List.of(), java.util.List.of(1), java.util.List.of(1, 2, 3),
            java.util.List.of(1, 2, 3, 4).subList(0, 2)}) {
            k.getRegistration(list.getClass()).setSerializer(new BoundedImmutableListSerializer());
        }
        for (Class<?> arrays : new Class<?>[] {Object[].class, String[].class}) {
            Registration r = k.getRegistration(arrays);
            r.setSerializer(new BoundedArraySerializer(r.getSerializer()));
        }
        // Allowed classes registered on first sight: their subclasses of these and arrays of them.
        k.addDefaultSerializer(ArrayList.class, factory(type -> new BoundedCollectionSerializer()));
        k.addDefaultSerializer(HashSet.class, factory(type -> new BoundedCollectionSerializer()));
        k.addDefaultSerializer(HashMap.class, factory(type -> new BoundedMapSerializer()));
        k.addDefaultSerializer(java.util.PriorityQueue.class, factory(type -> new BoundedPriorityQueueSerializer()));
        k.addDefaultSerializer(Object[].class, factory(type ->
                new BoundedArraySerializer(new DefaultArraySerializers.ObjectArraySerializer(k, type))));
    }

    @SuppressWarnings("rawtypes")
    private static SerializerFactory<Serializer> factory(java.util.function.Function<Class, Serializer> make) {
        return new SerializerFactory.BaseSerializerFactory<>() {
            @Override
            public Serializer newSerializer(Kryo kryo, Class type) {
                return make.apply(type);
            }
        };
    }

    /**
     * Kryo that counts the objects it reads from a {@link BoundedInput} without consuming a byte:
     * the one way a few bytes can still make a collection of any size (its elements' class is written
     * once, and an empty list or empty record then takes nothing).
     */
    private static final class BoundedKryo extends Kryo {
        BoundedKryo(AllowListClassResolver resolver) {
            super(resolver, null);
        }

        private static <T> T counted(Input input, int start, T read) {
            if (input instanceof BoundedInput && input.position() == start) {
                ((BoundedInput) input).readEmptyObject();
            }
            return read;
        }

        @Override
        public <T> T readObject(Input input, Class<T> type) {
            return counted(input, input.position(), super.readObject(input, type));
        }

        @Override
        @SuppressWarnings("rawtypes")
        public <T> T readObject(Input input, Class<T> type, Serializer serializer) {
            return counted(input, input.position(), super.readObject(input, type, serializer));
        }

        @Override
        public <T> T readObjectOrNull(Input input, Class<T> type) {
            return counted(input, input.position(), super.readObjectOrNull(input, type));
        }

        @Override
        @SuppressWarnings("rawtypes")
        public <T> T readObjectOrNull(Input input, Class<T> type, Serializer serializer) {
            return counted(input, input.position(), super.readObjectOrNull(input, type, serializer));
        }
    }

    /** Kryo's collection format; the capacity allocated up front is bounded by the bytes left. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class BoundedCollectionSerializer extends CollectionSerializer<java.util.Collection> {
        @Override
        protected java.util.Collection create(Kryo kryo, Input input, Class<? extends java.util.Collection> type,
                int size) {
            return super.create(kryo, input, type, BoundedInput.capacity(input, size));
        }
    }

    /** Kryo's priority queue format (an allowed JDK class); the capacity is bounded by the bytes left. */
    @SuppressWarnings("rawtypes")
    private static final class BoundedPriorityQueueSerializer extends DefaultSerializers.PriorityQueueSerializer {
        @Override
        protected java.util.PriorityQueue create(Kryo kryo, Input input, Class<? extends java.util.PriorityQueue> type,
                int size) {
            return super.create(kryo, input, type, BoundedInput.capacity(input, size));
        }
    }

    /** Kryo's map format; the capacity allocated up front is bounded by the bytes left. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class BoundedMapSerializer extends MapSerializer<java.util.Map> {
        @Override
        protected java.util.Map create(Kryo kryo, Input input, Class<? extends java.util.Map> type, int size) {
            return super.create(kryo, input, type, BoundedInput.capacity(input, size));
        }
    }

    /** List.of lists in the format of Kryo's JdkImmutableListSerializer, with a bounded capacity. */
    private static final class BoundedImmutableListSerializer extends CollectionSerializer<java.util.List<Object>> {
        BoundedImmutableListSerializer() {
            setElementsCanBeNull(false);
        }

        @Override
        protected java.util.List<Object> create(Kryo kryo, Input input, Class<? extends java.util.List<Object>> type,
                int size) {
            return new ArrayList<>(BoundedInput.capacity(input, size));
        }

        @Override
        public void write(Kryo kryo, Output output, java.util.List<Object> list) {
            // Stream.toList() gives this class holding nulls, which this format (like List.of) cannot
            // carry: refuse it here, or it would encode and then fail on every get.
            if (list != null) {
                for (Object o : list) {
                    if (o == null) {
                        throw new SerializationException("cannot encode a " + list.getClass().getName()
                                + " holding null (from Stream.toList()?): copy it into an ArrayList");
                    }
                }
            }
            super.write(kryo, output, list);
        }

        @Override
        public java.util.List<Object> read(Kryo kryo, Input input, Class<? extends java.util.List<Object>> type) {
            java.util.List<Object> list = super.read(kryo, input, type);
            return list == null ? null : java.util.List.of(list.toArray());
        }
    }

    /**
     * Object arrays as Kryo writes them (length + 1 first, then at least one byte per element); a
     * length the bytes left cannot hold is refused before the array is allocated.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class BoundedArraySerializer extends Serializer {
        private final Serializer arrays;

        BoundedArraySerializer(Serializer arrays) {
            super(arrays.getAcceptsNull(), arrays.isImmutable());
            this.arrays = arrays;
        }

        @Override
        public void write(Kryo kryo, Output output, Object array) {
            arrays.write(kryo, output, array);
        }

        @Override
        public Object read(Kryo kryo, Input input, Class type) {
            if (input instanceof BoundedInput) {
                int start = input.position();
                int lengthPlusOne = input.readVarInt(true);
                input.setPosition(start);
                if (lengthPlusOne != 0) {
                    ((BoundedInput) input).requireElements(lengthPlusOne - 1L);
                }
            }
            return arrays.read(kryo, input, type);
        }

        @Override
        public Object copy(Kryo kryo, Object original) {
            return arrays.copy(kryo, original);
        }
    }

    /** Descriptors travel as their JSON, validated again on the way in. */
    private static final class DescriptorSerializer extends Serializer<QueueDescriptor> {
        DescriptorSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, QueueDescriptor d) {
            output.writeString(d.toJson());
        }

        @Override
        public QueueDescriptor read(Kryo kryo, Input input, Class<? extends QueueDescriptor> type) {
            return QueueDescriptor.fromJson(input.readString());
        }
    }

    /** UUIDs as two longs (Kryo has no serializer of its own for them on Java 17+). */
    private static final class UuidSerializer extends Serializer<UUID> {
        UuidSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, UUID u) {
            output.writeLong(u.getMostSignificantBits());
            output.writeLong(u.getLeastSignificantBits());
        }

        @Override
        public UUID read(Kryo kryo, Input input, Class<? extends UUID> type) {
            return new UUID(input.readLong(), input.readLong());
        }
    }

    /** Lists of JDK-private classes travel as plain ArrayLists of their elements. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class ListAsArrayList extends Serializer<java.util.List> {
        @Override
        public void write(Kryo kryo, Output output, java.util.List list) {
            output.writeVarInt(list.size(), true);
            for (Object o : list) {
                kryo.writeClassAndObject(output, o);
            }
        }

        @Override
        public java.util.List read(Kryo kryo, Input input, Class<? extends java.util.List> type) {
            int n = input.readVarInt(true);
            java.util.List out = new ArrayList(Math.min(n, 4096));
            for (int i = 0; i < n; i++) {
                out.add(kryo.readClassAndObject(input));
            }
            return out;
        }
    }

    /** Maps of JDK-private classes travel as LinkedHashMaps. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class MapAsLinkedHashMap extends Serializer<java.util.Map> {
        @Override
        public void write(Kryo kryo, Output output, java.util.Map map) {
            output.writeVarInt(map.size(), true);
            for (Object o : map.entrySet()) {
                java.util.Map.Entry e = (java.util.Map.Entry) o;
                kryo.writeClassAndObject(output, e.getKey());
                kryo.writeClassAndObject(output, e.getValue());
            }
        }

        @Override
        public java.util.Map read(Kryo kryo, Input input, Class<? extends java.util.Map> type) {
            int n = input.readVarInt(true);
            java.util.Map out = new LinkedHashMap(Math.min(n, 4096));
            for (int i = 0; i < n; i++) {
                out.put(kryo.readClassAndObject(input), kryo.readClassAndObject(input));
            }
            return out;
        }
    }
}
