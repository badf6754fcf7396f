package dev.conduit.queue.codec;

import dev.conduit.queue.SerializationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * A primitive-array codec ({@link Codecs#floats()} and the like) that decodes into arrays the
 * consumer hands back with {@link #recycle}, for consumers of large arrays: decoding into a fresh
 * array costs an allocation and the zeroing of memory that is usually out of cache, which for an
 * array of a megabyte costs more than the copy itself (see docs/shm.md, "Tuning"). Items are encoded
 * exactly as by the wrapped codec, so a producer may use either.
 *
 * <pre>{@code
 * RecyclingCodec<float[]> floats = RecyclingCodec.of(Codecs.floats());
 * try (MessageQueue<float[]> q = d.open(floats)) {
 *     float[] a = q.get();
 *     use(a);
 *     floats.recycle(a);   // a is the codec's again: do not use it after this
 * }
 * }</pre>
 *
 * <p>{@code decode} takes a recycled array of exactly the item's length when there is one and
 * allocates one otherwise, so a consumer that never recycles gets what the wrapped codec gives.
 * The codec keeps at most {@code maxPooled} arrays; more are left to the garbage collector. Unlike
 * other codecs it has state (its pool): use one per queue handle or per consumer. Thread-safe.
 *
 * @param <A> the array type
 */
public final class RecyclingCodec<A> implements Codec<A> {
    /** How many arrays {@link #of(Codec)} keeps: enough for a consumer that holds a few at once. */
    public static final int DEFAULT_MAX_POOLED = 4;

    private final PrimitiveArrayCodec<A> arrays;
    private final int maxPooled;
    private final ArrayDeque<A> pool;

    private RecyclingCodec(PrimitiveArrayCodec<A> arrays, int maxPooled) {
        this.arrays = arrays;
        this.maxPooled = maxPooled;
        this.pool = new ArrayDeque<>(maxPooled);
    }

    /**
     * A recycling codec keeping up to {@value #DEFAULT_MAX_POOLED} arrays.
     *
     * @param arrays {@link Codecs#floats()}, {@link Codecs#doubles()}, {@link Codecs#ints()} or
     *     {@link Codecs#longs()}
     * @param <A> the array type
     * @return a new codec with an empty pool
     * @throws IllegalArgumentException for any other codec
     */
    public static <A> RecyclingCodec<A> of(Codec<A> arrays) {
        return of(arrays, DEFAULT_MAX_POOLED);
    }

    /**
     * A recycling codec keeping up to {@code maxPooled} arrays.
     *
     * @param arrays {@link Codecs#floats()}, {@link Codecs#doubles()}, {@link Codecs#ints()} or
     *     {@link Codecs#longs()}
     * @param maxPooled how many recycled arrays to keep, at least 1
     * @param <A> the array type
     * @return a new codec with an empty pool
     * @throws IllegalArgumentException for any other codec, or {@code maxPooled < 1}
     */
    public static <A> RecyclingCodec<A> of(Codec<A> arrays, int maxPooled) {
        if (!(arrays instanceof PrimitiveArrayCodec<A> primitive)) {
            throw new IllegalArgumentException("only the primitive-array codecs (Codecs.floats(), doubles(), ints(), "
                    + "longs()) can decode into a recycled array, not " + arrays.name());
        }
        if (maxPooled < 1) {
            throw new IllegalArgumentException("maxPooled must be at least 1, not " + maxPooled);
        }
        return new RecyclingCodec<>(primitive, maxPooled);
    }

    /**
     * Hands an array back for a later {@code decode} to fill; the caller must not use it afterwards.
     * Any array of the codec's type may be handed back, of any length; one beyond the pool's room is
     * dropped.
     *
     * @param array an array, not null
     * @throws NullPointerException if it is null
     */
    public void recycle(A array) {
        arrays.length(array); // the null check, and the type check of an unchecked caller
        synchronized (pool) {
            if (pool.size() < maxPooled) {
                pool.push(array);
            }
        }
    }

    /** @return how many arrays are waiting to be reused */
    public int pooled() {
        synchronized (pool) {
            return pool.size();
        }
    }

    private A take(int length) {
        synchronized (pool) {
            for (var it = pool.iterator(); it.hasNext();) {
                A a = it.next();
                if (arrays.length(a) == length) {
                    it.remove();
                    return a;
                }
            }
        }
        return arrays.allocate(length);
    }

    @Override
    public String name() {
        return arrays.name();
    }

    @Override
    public byte[] encode(A item) {
        return arrays.encode(item);
    }

    @Override
    public int encodedSize(A item) {
        return arrays.encodedSize(item);
    }

    @Override
    public void encodeTo(A item, ByteBuffer buffer) {
        arrays.encodeTo(item, buffer);
    }

    @Override
    public A decode(byte[] bytes, int offset, int length) {
        return decode(ByteBuffer.wrap(bytes, offset, length));
    }

    @Override
    public A decode(ByteBuffer buffer) {
        int bytes = buffer.remaining();
        int width = arrays.width();
        if (bytes % width != 0) {
            throw new SerializationException(bytes + " bytes are not a whole number of " + arrays.name()
                    + " elements (" + width + " bytes each)");
        }
        A out = take(bytes / width);
        arrays.get(buffer.slice().order(ByteOrder.LITTLE_ENDIAN), out);
        buffer.position(buffer.limit());
        return out;
    }
}
