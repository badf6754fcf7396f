package dev.conduit.queue.codec;

import java.util.Locale;

/**
 * The codecs Conduit ships. {@link #objects()} is what {@code descriptor.open()} uses.
 */
public final class Codecs {
    private static final AllowList DEFAULT_ALLOW = new AllowList();
    private static final KryoCodec<Object> OBJECTS = new KryoCodec<>(DEFAULT_ALLOW);

    private Codecs() {
    }

    /**
     * The default object codec (Kryo, registration required) over the JVM-wide allow-list that
     * {@link #allow} extends.
     *
     * @param <T> the item type
     * @return the shared codec
     */
    @SuppressWarnings("unchecked")
    public static <T> Codec<T> objects() {
        return (Codec<T>) OBJECTS;
    }

    /**
     * Adds classes to the JVM-wide allow-list of {@link #objects()}. Both the writing and the
     * reading process must allow a class.
     *
     * @param types the classes
     */
    public static void allow(Class<?>... types) {
        DEFAULT_ALLOW.allow(types);
    }

    /**
     * Adds a package of your own to the JVM-wide allow-list.
     *
     * @param packageName the package
     * @see AllowList#allowPackage(String)
     */
    public static void allowPackage(String packageName) {
        DEFAULT_ALLOW.allowPackage(packageName);
    }

    /** @return the JVM-wide allow-list behind {@link #objects()} */
    public static AllowList defaultAllowList() {
        return DEFAULT_ALLOW;
    }

    /**
     * A separate Kryo codec that allows the built-ins and the given classes only.
     *
     * @param <T> the item type
     * @param allowed the classes to allow
     * @return a new codec
     */
    public static <T> Codec<T> kryo(Class<?>... allowed) {
        return new KryoCodec<>(new AllowList().allow(allowed));
    }

    /**
     * A separate Kryo codec over an allow-list of your own.
     *
     * @param <T> the item type
     * @param allowList the list
     * @return a new codec
     */
    public static <T> Codec<T> kryo(AllowList allowList) {
        return new KryoCodec<>(allowList);
    }

    /** @return byte arrays as they are */
    public static Codec<byte[]> bytes() {
        return ByteArrayCodec.INSTANCE;
    }

    /** @return strings as UTF-8 */
    public static Codec<String> string() {
        return StringCodec.INSTANCE;
    }

    /** @return float arrays as raw little-endian bytes */
    public static Codec<float[]> floats() {
        return PrimitiveArrayCodec.FLOATS;
    }

    /** @return double arrays as raw little-endian bytes */
    public static Codec<double[]> doubles() {
        return PrimitiveArrayCodec.DOUBLES;
    }

    /** @return int arrays as raw little-endian bytes */
    public static Codec<int[]> ints() {
        return PrimitiveArrayCodec.INTS;
    }

    /** @return long arrays as raw little-endian bytes */
    public static Codec<long[]> longs() {
        return PrimitiveArrayCodec.LONGS;
    }

    /**
     * A codec by its {@link Codec#name()}, for command lines and configuration.
     *
     * @param name kryo, bytes, string, floats, doubles, ints or longs
     * @return the codec
     * @throws IllegalArgumentException for an unknown name
     */
    public static Codec<?> byName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "kryo":
            case "objects":
                return objects();
            case "bytes":
                return bytes();
            case "string":
                return string();
            case "floats":
                return floats();
            case "doubles":
                return doubles();
            case "ints":
                return ints();
            case "longs":
                return longs();
            default:
                throw new IllegalArgumentException("unknown codec '" + name
                        + "' (known: kryo, bytes, string, floats, doubles, ints, longs)");
        }
    }
}
