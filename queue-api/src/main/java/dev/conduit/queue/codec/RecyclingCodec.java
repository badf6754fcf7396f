package dev.conduit.queue.codec;

import dev.conduit.queue.SerializationException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;

/**
 * A primitive-array codec ({@link Codecs#floats()} and the like, or {@link Codecs#bytes()}) that
 * decodes into arrays the consumer hands back with {@link #recycle}, for consumers of large arrays
 * and for consumers of many small ones: decoding into a fresh array costs an allocation and the
 * zeroing of memory that is usually out of cache, which for an array of a megabyte costs more than
 * the copy itself (see docs/shm.md, "Tuning"), and for tens of millions of small items a second
 * costs the garbage collector's time. Items are encoded exactly as by the wrapped codec, so a
 * producer may use either.
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
 * The first thread that decodes with the codec (the consuming thread, typically) keeps the arrays
 * it recycles itself without any lock or atomic operation; arrays recycled by other threads go to
 * a shared pool under a lock, which that thread takes from when its own is empty. Each of the two
 * keeps at most {@code maxPooled} arrays; more are left to the garbage collector. Unlike other
 * codecs it has state (its pools): use one per queue handle or per consumer. Thread-safe.
 *
 * @param <A> the array type
 */
public final class RecyclingCodec<A> implements Codec<A> {
    /** How many arrays {@link #of(Codec)} keeps: enough for a consumer that holds a few at once. */
    public static final int DEFAULT_MAX_POOLED = 4;

    /** Byte arrays as a primitive-array codec of one-byte elements, for the pools and decoding. */
    private static final PrimitiveArrayCodec<byte[]> BYTES = new PrimitiveArrayCodec<>("bytes", 1) {
        @Override
        int length(byte[] a) {
            return a.length;
        }

        @Override
        byte[] allocate(int n) {
            return new byte[n];
        }

        @Override
        void put(ByteBuffer le, byte[] a) {
            le.put(a);
        }

        @Override
        void get(ByteBuffer le, byte[] a) {
            le.get(a);
        }
    };

    private static final VarHandle KEEPER;

    static {
        try {
            KEEPER = MethodHandles.lookup().findVarHandle(RecyclingCodec.class, "keeper", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** What encodes, and names, the items: the codec given to {@link #of}. */
    private final Codec<A> wrapped;
    /** What allocates, measures and fills arrays. */
    private final PrimitiveArrayCodec<A> arrays;
    private final int maxPooled;
    /** Arrays recycled by threads other than the keeper, under its own lock. */
    private final ArrayDeque<A> pool;
    /** The size of {@link #pool}, so that the keeper skips its lock while it is empty. */
    private volatile int shared;
    /**
     * The thread whose own pool is {@link #kept}: the first that decoded, or the next after it has
     * ended (its end happens-before {@code isAlive()} reports it, so its pool is handed over whole).
     */
    @SuppressWarnings("unused") // through KEEPER
    private volatile Thread keeper;
    /** The keeper's pool, a stack of {@link #keptCount} arrays; touched by the keeper only. */
    private Object[] kept;
    private int keptCount;
    /** The keeper's recycles since {@link #kept} was made. */
    private int keptStores;
    /**
     * How many recycles a {@link #kept} array takes before the keeper copies it into a new one. G1's
     * write barrier fences every reference stored into an object that is not young (about the cost
     * of an atomic operation: recycling 64-byte arrays that way was slower than allocating them), and
     * a new array is young until the collections that follow promote it: a copy now and then keeps
     * the stack young at the cost of a few bytes per recycle.
     */
    private static final int RENEW_EVERY = 1 << 16;

    private RecyclingCodec(Codec<A> wrapped, PrimitiveArrayCodec<A> arrays, int maxPooled) {
        this.wrapped = wrapped;
        this.arrays = arrays;
        this.maxPooled = maxPooled;
        this.pool = new ArrayDeque<>(Math.min(maxPooled, 64));
        this.kept = new Object[maxPooled];
    }

    /**
     * A recycling codec keeping up to {@value #DEFAULT_MAX_POOLED} arrays.
     *
     * @param arrays {@link Codecs#floats()}, {@link Codecs#doubles()}, {@link Codecs#ints()},
     *     {@link Codecs#longs()} or {@link Codecs#bytes()}
     * @param <A> the array type
     * @return a new codec with an empty pool
     * @throws IllegalArgumentException for any other codec
     */
    public static <A> RecyclingCodec<A> of(Codec<A> arrays) {
        return of(arrays, DEFAULT_MAX_POOLED);
    }

    /**
     * A recycling codec keeping up to {@code maxPooled} arrays. A consumer that takes items in
     * batches and recycles them after each batch wants a pool as large as its batches.
     *
     * @param arrays {@link Codecs#floats()}, {@link Codecs#doubles()}, {@link Codecs#ints()},
     *     {@link Codecs#longs()} or {@link Codecs#bytes()}
     * @param maxPooled how many recycled arrays to keep, at least 1
     * @param <A> the array type
     * @return a new codec with an empty pool
     * @throws IllegalArgumentException for any other codec, or {@code maxPooled < 1}
     */
    @SuppressWarnings("unchecked")
    public static <A> RecyclingCodec<A> of(Codec<A> arrays, int maxPooled) {
        PrimitiveArrayCodec<A> primitive;
        if (arrays == Codecs.bytes()) {
            primitive = (PrimitiveArrayCodec<A>) BYTES;
        } else if (arrays instanceof PrimitiveArrayCodec<A> p) {
            primitive = p;
        } else {
            throw new IllegalArgumentException("only the primitive-array codecs (Codecs.floats(), doubles(), ints(), "
                    + "longs()) and Codecs.bytes() can decode into a recycled array, not " + arrays.name());
        }
        if (maxPooled < 1) {
            throw new IllegalArgumentException("maxPooled must be at least 1, not " + maxPooled);
        }
        return new RecyclingCodec<>(arrays, primitive, maxPooled);
    }

    /** @return the codec this one wraps, which encodes items as this one does */
    public Codec<A> wrapped() {
        return wrapped;
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
        if ((Thread) KEEPER.getVolatile(this) == Thread.currentThread()) {
            if (keptCount < maxPooled) {
                if (++keptStores == RENEW_EVERY) {
                    kept = java.util.Arrays.copyOf(kept, kept.length);
                    keptStores = 0;
                }
                kept[keptCount++] = array;
            }
            return;
        }
        synchronized (pool) {
            if (pool.size() < maxPooled) {
                pool.push(array);
                shared = pool.size();
            }
        }
    }

    /**
     * How many arrays wait to be reused: exact when called by the thread that decodes, or while no
     * thread decodes or recycles.
     *
     * @return the number of pooled arrays
     */
    public int pooled() {
        synchronized (pool) {
            return pool.size() + (keeper == null ? 0 : keptCount);
        }
    }

    /**
     * An array of exactly {@code elements} elements for a backend to fill with an item's bytes
     * itself, rather than through {@link #decode(ByteBuffer)}: a recycled one when there is one, else
     * a new one. What it holds is undefined; the caller overwrites all of it.
     *
     * @param elements the array's length
     * @return the array, the caller's until it is recycled
     */
    public A array(int elements) {
        Thread me = Thread.currentThread();
        Thread k = (Thread) KEEPER.getVolatile(this);
        if (k != me && (k == null || !k.isAlive())) {
            k = KEEPER.compareAndSet(this, k, me) ? me : (Thread) KEEPER.getVolatile(this);
        }
        if (k == me) {
            for (int i = keptCount - 1; i >= 0; i--) {
                @SuppressWarnings("unchecked")
                A a = (A) kept[i];
                if (arrays.length(a) == elements) {
                    kept[i] = kept[--keptCount];
                    kept[keptCount] = null;
                    return a;
                }
            }
        }
        if (shared > 0) {
            synchronized (pool) {
                for (var it = pool.iterator(); it.hasNext();) {
                    A a = it.next();
                    if (arrays.length(a) == elements) {
                        it.remove();
                        shared = pool.size();
                        return a;
                    }
                }
            }
        }
        return arrays.allocate(elements);
    }

    @Override
    public String name() {
        return wrapped.name();
    }

    @Override
    public byte[] encode(A item) {
        return wrapped.encode(item);
    }

    @Override
    public int encodedSize(A item) {
        return wrapped.encodedSize(item);
    }

    @Override
    public void encodeTo(A item, ByteBuffer buffer) {
        wrapped.encodeTo(item, buffer);
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
        A out = array(bytes / width);
        arrays.get(buffer.slice().order(ByteOrder.LITTLE_ENDIAN), out);
        buffer.position(buffer.limit());
        return out;
    }
}
