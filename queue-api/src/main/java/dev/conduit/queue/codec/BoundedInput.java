package dev.conduit.queue.codec;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;

/**
 * Kryo's input over one whole encoded item, refusing a length that the bytes left cannot hold
 * before anything is allocated for it. Every element Kryo writes for an array or a string takes at
 * least one byte, so a count above the bytes left comes from bytes this codec did not write; without
 * the check, seven bytes that claim a long[] of 64 M elements make the decoder allocate 512 MB.
 * One per decode; not thread-safe.
 */
final class BoundedInput extends Input {
    /**
     * How many objects that take no bytes (elements of one class written once, for example empty
     * lists or empty records) one item may hold; without a bound seven bytes decode into a list of
     * 64 M of them, a gigabyte.
     */
    static final int MAX_EMPTY_OBJECTS = 1 << 20;

    private int emptyObjects;

    BoundedInput(byte[] bytes, int offset, int length) {
        super(bytes, offset, length);
    }

    /** @return the bytes of the item not read yet */
    int remaining() {
        return limit - position;
    }

    /**
     * Refuses a count of elements of at least one byte each that the bytes left cannot hold.
     *
     * @param count the count read from the bytes
     */
    void requireElements(long count) {
        if (count < 0 || count > remaining()) {
            throw new KryoException("a length of " + count + " with " + remaining()
                    + " bytes left: the bytes were not written by this codec");
        }
    }

    /**
     * Counts an object that was read without consuming a byte.
     *
     * @throws KryoException past {@link #MAX_EMPTY_OBJECTS}
     */
    void readEmptyObject() {
        if (++emptyObjects > MAX_EMPTY_OBJECTS) {
            throw new KryoException("more than " + MAX_EMPTY_OBJECTS + " objects that take no bytes in one item: "
                    + "the bytes were not written by this codec, or the item is a collection of millions of empty "
                    + "objects");
        }
    }

    @Override
    public String readString() {
        requireChars();
        return super.readString();
    }

    @Override
    public StringBuilder readStringBuilder() {
        requireChars();
        return super.readStringBuilder();
    }

    /** Before a string: refuses a char count that the bytes left cannot hold. */
    private void requireChars() {
        if (position < limit && (buffer[position] & 0x80) != 0) {
            // Not ASCII: a UTF-8 char count + 1 (0 = null) leads, then at least one byte per char.
            int start = position;
            int countPlusOne = readVarIntFlag(true);
            position = start;
            if (countPlusOne != 0 && countPlusOne != 1) { // 0 is null, 1 the empty string
                requireElements(countPlusOne - 1L);
            }
        }
    }

    @Override
    public byte[] readBytes(int length) {
        requireElements(length);
        return super.readBytes(length);
    }

    @Override
    public int[] readInts(int length) {
        requireElements(length);
        return super.readInts(length);
    }

    @Override
    public int[] readInts(int length, boolean optimizePositive) {
        requireElements(length);
        return super.readInts(length, optimizePositive);
    }

    @Override
    public long[] readLongs(int length) {
        requireElements(length);
        return super.readLongs(length);
    }

    @Override
    public long[] readLongs(int length, boolean optimizePositive) {
        requireElements(length);
        return super.readLongs(length, optimizePositive);
    }

    @Override
    public float[] readFloats(int length) {
        requireElements(length);
        return super.readFloats(length);
    }

    @Override
    public double[] readDoubles(int length) {
        requireElements(length);
        return super.readDoubles(length);
    }

    @Override
    public short[] readShorts(int length) {
        requireElements(length);
        return super.readShorts(length);
    }

    @Override
    public char[] readChars(int length) {
        requireElements(length);
        return super.readChars(length);
    }

    @Override
    public boolean[] readBooleans(int length) {
        requireElements(length);
        return super.readBooleans(length);
    }

    /**
     * A collection's or map's initial capacity: the size the bytes claim, but no more than the bytes
     * left (elements of an empty final class take no bytes, so a larger size is not refused; the
     * collection then grows as elements actually arrive).
     *
     * @param input the input, a BoundedInput when the codec decodes
     * @param size the size read from the bytes
     * @return the capacity to allocate up front
     */
    static int capacity(Input input, int size) {
        int left = input.limit() - input.position();
        return Math.max(0, Math.min(size, left));
    }
}
