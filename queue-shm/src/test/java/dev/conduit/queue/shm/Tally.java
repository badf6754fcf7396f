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
 * it writes for the parent test, which reads it back with {@link #read}. Besides which items came,
 * it counts those that came out of their producer's order: an item's sequence number below one
 * already taken from the same producer (gaps are allowed, since another consumer may take them).
 * Not thread-safe.
 */
final class Tally {
    /** What came from one producer. */
    private static final class Taken {
        final BitSet seqs = new BitSet();
        long highest = -1;
    }

    private final Map<Long, Taken> seen = new HashMap<>();
    private long count;
    private long duplicates;
    private long reordered;
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
        Taken from = seen.computeIfAbsent(producer, p -> new Taken());
        if (from.seqs.get((int) seq)) {
            duplicates++;
        } else if (seq < from.highest) {
            reordered++;
        }
        from.seqs.set((int) seq);
        from.highest = Math.max(from.highest, seq);
        count++;
        checksum += Arrays.hashCode(it);
        return true;
    }

    void write(Path result) throws IOException {
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(result))) {
            out.writeLong(count);
            out.writeLong(duplicates);
            out.writeLong(reordered);
            out.writeLong(damaged);
            out.writeLong(checksum);
            out.writeInt(seen.size());
            for (Map.Entry<Long, Taken> e : seen.entrySet()) {
                byte[] bits = e.getValue().seqs.toByteArray();
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
     * @param reordered items taken after a later item of the same producer (FIFO per producer broken)
     * @param damaged items that were not {@link ShmTestProcess#intact}
     * @param checksum sum of the intact items' {@link Arrays#hashCode(byte[])}
     * @param seen per producer id, the sequence numbers taken
     */
    record Report(long count, long duplicates, long reordered, long damaged, long checksum, Map<Long, BitSet> seen) {
    }

    static Report read(Path result) throws IOException {
        try (DataInputStream in = new DataInputStream(Files.newInputStream(result))) {
            long count = in.readLong();
            long duplicates = in.readLong();
            long reordered = in.readLong();
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
            return new Report(count, duplicates, reordered, damaged, checksum, seen);
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
