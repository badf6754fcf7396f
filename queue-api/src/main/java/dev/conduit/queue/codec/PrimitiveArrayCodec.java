package dev.conduit.queue.codec;

import dev.conduit.queue.SerializationException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Primitive arrays as their raw little-endian bytes: no header, no general-purpose serialization,
 * a bulk memory copy each way (the Java counterpart of moodist's tensors). Thread-safe.
 *
 * @param <A> the array type
 */
abstract class PrimitiveArrayCodec<A> implements Codec<A> {
    private final String name;
    private final int width;

    PrimitiveArrayCodec(String name, int width) {
        this.name = name;
        this.width = width;
    }

    @Override
    public final String name() {
        return name;
    }

    /** @return the bytes of one element */
    final int width() {
        return width;
    }

    abstract int length(A array);

    abstract A allocate(int n);

    abstract void put(ByteBuffer le, A array);

    abstract void get(ByteBuffer le, A array);

    @Override
    public final int encodedSize(A item) {
        long size = (long) length(item) * width;
        if (size > Integer.MAX_VALUE - 16) {
            throw new SerializationException("a " + name + " array of " + length(item) + " elements is too large");
        }
        return (int) size;
    }

    @Override
    public final void encodeTo(A item, ByteBuffer buffer) {
        ByteBuffer le = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        put(le, item);
        buffer.position(buffer.position() + encodedSize(item));
    }

    @Override
    public final byte[] encode(A item) {
        byte[] out = new byte[encodedSize(item)];
        put(ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN), item);
        return out;
    }

    @Override
    public final A decode(byte[] bytes, int offset, int length) {
        return decode(ByteBuffer.wrap(bytes, offset, length));
    }

    @Override
    public final A decode(ByteBuffer buffer) {
        int bytes = buffer.remaining();
        if (bytes % width != 0) {
            throw new SerializationException(bytes + " bytes are not a whole number of " + name + " elements ("
                    + width + " bytes each)");
        }
        A out = allocate(bytes / width);
        get(buffer.slice().order(ByteOrder.LITTLE_ENDIAN), out);
        buffer.position(buffer.limit());
        return out;
    }

    static final PrimitiveArrayCodec<float[]> FLOATS = new PrimitiveArrayCodec<>("floats", 4) {
        @Override
        int length(float[] a) {
            return a.length;
        }

        @Override
        float[] allocate(int n) {
            return new float[n];
        }

        @Override
        void put(ByteBuffer le, float[] a) {
            le.asFloatBuffer().put(a);
        }

        @Override
        void get(ByteBuffer le, float[] a) {
            le.asFloatBuffer().get(a);
        }
    };

    static final PrimitiveArrayCodec<double[]> DOUBLES = new PrimitiveArrayCodec<>("doubles", 8) {
        @Override
        int length(double[] a) {
            return a.length;
        }

        @Override
        double[] allocate(int n) {
            return new double[n];
        }

        @Override
        void put(ByteBuffer le, double[] a) {
            le.asDoubleBuffer().put(a);
        }

        @Override
        void get(ByteBuffer le, double[] a) {
            le.asDoubleBuffer().get(a);
        }
    };

    static final PrimitiveArrayCodec<int[]> INTS = new PrimitiveArrayCodec<>("ints", 4) {
        @Override
        int length(int[] a) {
            return a.length;
        }

        @Override
        int[] allocate(int n) {
            return new int[n];
        }

        @Override
        void put(ByteBuffer le, int[] a) {
            le.asIntBuffer().put(a);
        }

        @Override
        void get(ByteBuffer le, int[] a) {
            le.asIntBuffer().get(a);
        }
    };

    static final PrimitiveArrayCodec<long[]> LONGS = new PrimitiveArrayCodec<>("longs", 8) {
        @Override
        int length(long[] a) {
            return a.length;
        }

        @Override
        long[] allocate(int n) {
            return new long[n];
        }

        @Override
        void put(ByteBuffer le, long[] a) {
            le.asLongBuffer().put(a);
        }

        @Override
        void get(ByteBuffer le, long[] a) {
            le.asLongBuffer().get(a);
        }
    };
}
