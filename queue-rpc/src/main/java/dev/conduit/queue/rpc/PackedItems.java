package dev.conduit.queue.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.rpc.proto.ItemBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Items in the wire's packed form ({@code ItemBlock}): the payloads back to back in one array,
 * with one length and one priority per item. A batch travels as one bytes field and two packed
 * integer lists instead of one protobuf message per item, which is most of the cost of moving
 * small items. Built on the client from encoded items (and joined, for group commit), split on the
 * server into the stored byte arrays; the server packs a get's answer the same way.
 *
 * <p>Immutable once built; the arrays are never written after construction.
 */
final class PackedItems {
    private final byte[] payloads;
    private final int bytes;
    private final int[] lengths;
    private final int[] priorities;

    private PackedItems(byte[] payloads, int bytes, int[] lengths, int[] priorities) {
        this.payloads = payloads;
        this.bytes = bytes;
        this.lengths = lengths;
        this.priorities = priorities;
    }

    /**
     * Encodes items on the client.
     *
     * @param codec the handle's codec
     * @param items the items, not null
     * @param priorities one per item, 0-255
     * @param maxItemBytes the server's limit per encoded item
     * @param server names the server in the message of a too-large item
     * @param <T> the item type
     * @return the packed items
     * @throws ItemTooLargeException if an encoded item is over the limit (nothing is sent)
     */
    static <T> PackedItems encode(Codec<T> codec, List<? extends T> items, int[] priorities, long maxItemBytes,
            String server) {
        int n = items.size();
        int[] lengths = new int[n];
        byte[] buf = new byte[Math.max(64, n * 64)];
        int pos = 0;
        for (int i = 0; i < n; i++) {
            byte[] b = codec.encode(items.get(i));
            if (b.length > maxItemBytes) {
                throw new ItemTooLargeException("an item of " + b.length + " encoded bytes exceeds the limit of "
                        + maxItemBytes + " bytes of queue server " + server);
            }
            if (buf.length - pos < b.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + b.length));
            }
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            lengths[i] = b.length;
        }
        return new PackedItems(buf, pos, lengths, priorities.clone());
    }

    /**
     * Joins batches into one, in order; each stays contiguous in the result.
     *
     * @param parts at least one batch
     * @return the joined batch
     */
    static PackedItems join(List<PackedItems> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int count = 0;
        long total = 0;
        for (PackedItems p : parts) {
            count += p.count();
            total += p.bytes;
        }
        byte[] buf = new byte[Math.toIntExact(total)];
        int[] lengths = new int[count];
        int[] priorities = new int[count];
        int pos = 0;
        int at = 0;
        for (PackedItems p : parts) {
            System.arraycopy(p.payloads, 0, buf, pos, p.bytes);
            System.arraycopy(p.lengths, 0, lengths, at, p.count());
            System.arraycopy(p.priorities, 0, priorities, at, p.count());
            pos += p.bytes;
            at += p.count();
        }
        return new PackedItems(buf, pos, lengths, priorities);
    }

    /** @return how many items */
    int count() {
        return lengths.length;
    }

    /** @return the payload bytes of all items */
    long bytes() {
        return bytes;
    }

    /** @return the wire form; a single priority stands for all items when they share it */
    ItemBlock toProto() {
        ItemBlock.Builder b = ItemBlock.newBuilder().setPayloads(UnsafeByteOperations.unsafeWrap(payloads, 0, bytes));
        boolean samePriority = true;
        for (int i = 0; i < lengths.length; i++) {
            b.addLengths(lengths[i]);
            samePriority &= priorities[i] == priorities[0];
        }
        if (samePriority) {
            b.addPriorities(priorities[0]);
        } else {
            for (int p : priorities) {
                b.addPriorities(p);
            }
        }
        return b.build();
    }

    /** A put's items as the server stores them. */
    record Unpacked(List<byte[]> payloads, int[] priorities) {
    }

    /**
     * Splits a put's block on the server, checking it first.
     *
     * @param block the block
     * @param maxItemBytes the server's limit per item
     * @return the payloads (fresh arrays) and priorities
     * @throws IllegalArgumentException if the lengths do not add up to the payloads, the priorities
     *     are neither one nor one per item, or a priority is over 255
     * @throws ItemTooLargeException if an item is over the limit
     */
    static Unpacked unpack(ItemBlock block, long maxItemBytes) {
        int n = block.getLengthsCount();
        int pn = block.getPrioritiesCount();
        if (pn != 1 && pn != n) {
            throw new IllegalArgumentException("a block of " + n + " items must carry 1 or " + n + " priorities, not "
                    + pn);
        }
        ByteString all = block.getPayloads();
        long total = 0;
        for (int i = 0; i < n; i++) {
            int len = block.getLengths(i);
            if (len < 0 || len > maxItemBytes) {
                throw new ItemTooLargeException("an item of " + Integer.toUnsignedString(len) + " bytes exceeds the "
                        + "server's limit of " + maxItemBytes + " bytes per item");
            }
            total += len;
        }
        if (total != all.size()) {
            throw new IllegalArgumentException("a block's item lengths add up to " + total + " bytes but it carries "
                    + all.size());
        }
        int[] priorities = new int[n];
        for (int i = 0; i < n; i++) {
            int p = block.getPriorities(pn == 1 ? 0 : i);
            if (p < 0 || p > MessageQueue.MAX_PRIORITY) {
                throw new IllegalArgumentException("priority must be 0-255, not " + Integer.toUnsignedString(p));
            }
            priorities[i] = p;
        }
        List<byte[]> payloads = new ArrayList<>(n);
        int pos = 0;
        for (int i = 0; i < n; i++) {
            int len = block.getLengths(i);
            byte[] item = new byte[len];
            all.copyTo(item, pos, 0, len);
            payloads.add(item);
            pos += len;
        }
        return new Unpacked(payloads, priorities);
    }

    /**
     * Packs a get's answer on the server (payloads and lengths; no priorities).
     *
     * @param items the taken items
     * @return the block
     */
    static ItemBlock pack(List<byte[]> items) {
        long total = 0;
        for (byte[] item : items) {
            total += item.length;
        }
        byte[] buf = new byte[Math.toIntExact(total)];
        ItemBlock.Builder b = ItemBlock.newBuilder();
        int pos = 0;
        for (byte[] item : items) {
            System.arraycopy(item, 0, buf, pos, item.length);
            pos += item.length;
            b.addLengths(item.length);
        }
        return b.setPayloads(UnsafeByteOperations.unsafeWrap(buf)).build();
    }

    /**
     * Decodes a get's answer on the client.
     *
     * @param block the block
     * @param codec the handle's codec
     * @param <T> the item type
     * @return the items, in order
     */
    static <T> List<T> decode(ItemBlock block, Codec<T> codec) {
        int n = block.getLengthsCount();
        byte[] all = block.getPayloads().toByteArray();
        List<T> out = new ArrayList<>(n);
        int pos = 0;
        for (int i = 0; i < n; i++) {
            int len = block.getLengths(i);
            out.add(codec.decode(all, pos, len));
            pos += len;
        }
        return out;
    }
}
