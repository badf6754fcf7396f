package dev.conduit.queue.shm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * What a consumer process took of {@link ShmTestProcess#item}s: counts, checks, and the result file
 * it writes for the parent test, which reads it back with {@link #read}. Not thread-safe.
 */
final class Tally {
    private final Map<Long, BitSet> seen = new HashMap<>();
    private long count;
    private long duplicates;
    long damaged;
    private long checksum;

    /** @return false for the STOP item, which is not counted */
    boolean add(byte[] it) {
        long producer = ByteBuffer.wrap(it).getLong(0);
        if (producer == ShmTestProcess.STOP) {
            return false;
        }
        if (!ShmTestProcess.intact(it)) {
            damaged++;
            return true;
        }
        long seq = ByteBuffer.wrap(it).getLong(8);
        BitSet bits = seen.computeIfAbsent(producer, p -> new BitSet());
        if (bits.get((int) seq)) {
            duplicates++;
        }
        bits.set((int) seq);
        count++;
        checksum += Arrays.hashCode(it);
        return true;
    }

    void write(Path result) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(result))) {
            out.writeLong(count);
            out.writeLong(duplicates);
            out.writeLong(damaged);
            out.writeLong(checksum);
            out.writeInt(seen.size());
            for (Map.Entry<Long, BitSet> e : seen.entrySet()) {
                byte[] bits = e.getValue().toByteArray();
                out.writeLong(e.getKey());
                out.writeInt(bits.length);
                out.write(bits);
            }
        }
    }

    /**
     * A consumer's result file, as {@link #write} left it.
     *
     * @param count intact items taken (STOP not counted)
     * @param duplicates items taken again
     * @param damaged items that were not {@link ShmTestProcess#intact}
     * @param checksum sum of the intact items' {@link Arrays#hashCode(byte[])}
     * @param seen per producer id, the sequence numbers taken
     */
    record Report(long count, long duplicates, long damaged, long checksum, Map<Long, BitSet> seen) {
    }

    static Report read(Path result) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(result))) {
            long count = in.readLong();
            long duplicates = in.readLong();
            long damaged = in.readLong();
            long checksum = in.readLong();
            int producers = in.readInt();
            Map<Long, BitSet> seen = new HashMap<>();
            for (int i = 0; i < producers; i++) {
                long producer = in.readLong();
                byte[] bits = new byte[in.readInt()];
                in.readFully(bits);
                seen.put(producer, BitSet.valueOf(bits));
            }
            return new Report(count, duplicates, damaged, checksum, seen);
        }
    }

    /** The checksum of items {@code 0..items-1} of {@code producer}, each taken once. */
    static long checksumOf(long producer, long items) {
        long sum = 0;
        for (long s = 0; s < items; s++) {
            sum += Arrays.hashCode(ShmTestProcess.item(producer, s));
        }
        return sum;
    }
}
