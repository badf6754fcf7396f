package dev.conduit.queue.shm;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The second JVM of the cross-process tests: {@code main(mode, descriptorJson, args...)}. Items of
 * the exchange tests are 64 bytes: producer id, sequence number, and 48 bytes that follow from
 * both, so a consumer can tell a damaged item from a good one.
 */
public final class ShmTestProcess {
    static final int ITEM_BYTES = 64;
    /** Producer id of the item that tells a consumer to stop. */
    static final long STOP = -1;

    private ShmTestProcess() {
    }

    /**
     * Runs one mode.
     *
     * @param args mode, descriptor JSON, then the mode's arguments
     * @throws Exception on any failure (the exit code tells the parent)
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        QueueDescriptor d = QueueDescriptor.fromJson(args[1]);
        switch (mode) {
            case "produce" -> produce(d, Long.parseLong(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]));
            case "consume" -> consume(d, Path.of(args[2]), false);
            case "consume-batches" -> consume(d, Path.of(args[2]), true);
            case "read-in-place" -> readInPlace(d, Path.of(args[2]));
            case "stop-inside-read" -> stopInsideRead(d, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "batch-consume-log" -> batchConsumeLog(d, Path.of(args[2]));
            case "echo" -> echo(d);
            case "chaos-produce" -> chaosProduce(d, Long.parseLong(args[2]), Path.of(args[3]));
            case "chaos-consume" -> chaosConsume(d, Path.of(args[2]));
            case "halt-mid-write" -> haltMidWrite(d, Integer.parseInt(args[2]));
            case "halt-mid-read" -> haltMidRead(d);
            case "halt-mid-batch-read" -> haltMidBatchRead(d, Integer.parseInt(args[2]));
            case "get-bytes" -> getBytes(d, Integer.parseInt(args[2]));
            case "halt-mid-clear" -> haltMidClear(d);
            case "halt-after-claim" -> haltAfterClaim(d);
            case "journal-put" -> journalPut(d, Integer.parseInt(args[2]));
            case "journal-get" -> journalGet(d, Integer.parseInt(args[2]));
            case "journal-destroy", "destroy" -> d.open(Codecs.string()).destroy();
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        System.exit(0);
    }

    static byte[] item(long producer, long seq) {
        ByteBuffer b = ByteBuffer.allocate(ITEM_BYTES);
        b.putLong(producer).putLong(seq);
        long x = producer * 0x9E3779B97F4A7C15L + seq;
        while (b.hasRemaining()) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b.putLong(x);
        }
        return b.array();
    }

    static boolean intact(byte[] item) {
        if (item.length != ITEM_BYTES) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(item);
        return java.util.Arrays.equals(item, item(b.getLong(0), b.getLong(8)));
    }

    private static void produce(QueueDescriptor d, long producer, long count, int batch) throws Exception {
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            java.util.List<byte[]> pending = new java.util.ArrayList<>(batch);
            for (long seq = 0; seq < count; seq++) {
                if (batch <= 1) {
                    q.put(item(producer, seq));
                } else {
                    pending.add(item(producer, seq));
                    if (pending.size() == batch || seq == count - 1) {
                        q.putAll(pending);
                        pending.clear();
                    }
                }
            }
        }
    }

    /**
     * Counts, checks and records every item until a STOP item, taken one {@code get} at a time or
     * with {@code getBatch}; writes a result file.
     */
    private static void consume(QueueDescriptor d, Path result, boolean batches) throws Exception {
        Tally tally = new Tally();
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            java.util.Iterator<byte[]> taken = java.util.Collections.emptyIterator();
            for (;;) {
                while (!taken.hasNext()) {
                    taken = batches ? q.getBatch(256, Duration.ofSeconds(30)).iterator() : java.util.List.of(q.get())
                            .iterator();
                }
                if (!tally.add(taken.next())) {
                    break;
                }
            }
        }
        tally.write(result);
    }

    /**
     * As {@link #consume}, reading in place with a {@link ShmReader}: each record is checked from one
     * reused array it is copied into, as a zero-copy consumer would; a record after STOP would be
     * counted damaged.
     */
    private static void readInPlace(QueueDescriptor d, Path result) throws Exception {
        Tally tally = new Tally();
        byte[] m = new byte[ITEM_BYTES];
        boolean[] stopped = {false};
        ShmRecordHandler check = (buffer, offset, length) -> {
            if (length != ITEM_BYTES || stopped[0]) {
                tally.damaged++;
                return;
            }
            buffer.get(offset, m, 0, length);
            stopped[0] = !tally.add(m);
        };
        try (ShmReader reader = ShmQueues.reader(d)) {
            for (int round = 0; !stopped[0]; round++) {
                // Both forms: the one that does not wait, and the timed one.
                if ((round & 1) == 0) {
                    reader.read(check, 256);
                } else {
                    reader.read(check, 256, Duration.ofSeconds(30));
                }
            }
        }
        tally.write(result);
    }

    /**
     * Reads in place with a limit of {@code limit} and, on the record numbered {@code at} (from 0) of
     * its first call that gets any, prints "inside read" and waits to be killed.
     */
    private static void stopInsideRead(QueueDescriptor d, int limit, int at) throws Exception {
        int[] seen = {0};
        try (ShmReader reader = ShmQueues.reader(d)) {
            reader.read((buffer, offset, length) -> {
                if (seen[0]++ == at) {
                    System.out.println("inside read");
                    System.out.flush();
                    try {
                        Thread.sleep(120_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    Runtime.getRuntime().halt(4); // not killed in time: the parent's test fails
                }
            }, limit, Duration.ofSeconds(30));
        }
        throw new IOException("no item came to be killed on");
    }

    /** Takes strings from the queue and puts each back with "echo:" in front, until "stop". */
    private static void echo(QueueDescriptor d) throws Exception {
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            QueueDescriptor replies = d.withId(d.id() + "-replies");
            try (MessageQueue<String> r = replies.open(Codecs.string())) {
                for (;;) {
                    String s = q.get(Duration.ofSeconds(30));
                    if (s.equals("stop")) {
                        return;
                    }
                    r.put("echo:" + s + ":pid=" + ProcessHandle.current().pid());
                }
            }
        }
    }

    /**
     * The whole records of a log that {@link #chaosProduce} (8 bytes: seq), {@link #chaosConsume} or
     * {@link #batchConsumeLog} (16 bytes: producer, seq) wrote, in the order written; a record cut
     * short by a kill is left out, and a log not yet created has none.
     */
    static java.util.List<long[]> records(Path log, int recordBytes) throws IOException {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(log));
        while (b.remaining() >= recordBytes) {
            long[] rec = new long[recordBytes / 8];
            for (int i = 0; i < rec.length; i++) {
                rec[i] = b.getLong();
            }
            out.add(rec);
        }
        return out;
    }

    /** Puts 16-byte items (producer, seq) forever, logging each seq after its put returned. */
    private static void chaosProduce(QueueDescriptor d, long producer, Path log) throws Exception {
        try (MessageQueue<long[]> q = d.open(Codecs.longs());
                DataOutputStream out = new DataOutputStream(new FileOutputStream(log.toFile(), true))) {
            for (long seq = 0;; seq++) {
                q.put(new long[] {producer, seq});
                out.writeLong(seq);
            }
        }
    }

    /** Gets items forever, logging each (producer, seq) after it was taken; stops on STOP. */
    private static void chaosConsume(QueueDescriptor d, Path log) throws Exception {
        try (MessageQueue<long[]> q = d.open(Codecs.longs());
                OutputStream raw = new FileOutputStream(log.toFile(), true)) {
            ByteBuffer rec = ByteBuffer.allocate(16);
            for (;;) {
                Optional<long[]> it = Optional.ofNullable(q.getBatch(1, Duration.ofMillis(100)))
                        .filter(l -> !l.isEmpty()).map(l -> l.get(0));
                if (it.isEmpty()) {
                    continue;
                }
                long[] v = it.get();
                if (v[0] == STOP) {
                    return;
                }
                rec.clear();
                rec.putLong(v[0]).putLong(v[1]);
                raw.write(rec.array());
            }
        }
    }

    /**
     * Takes items of {@link #chaosProduce}'s kind with {@code getBatch(64)} forever, logging each
     * (producer, seq) after its batch was taken.
     */
    private static void batchConsumeLog(QueueDescriptor d, Path log) throws Exception {
        try (MessageQueue<long[]> q = d.open(Codecs.longs());
                OutputStream raw = new java.io.BufferedOutputStream(new FileOutputStream(log.toFile(), true), 1 << 16)) {
            ByteBuffer rec = ByteBuffer.allocate(16);
            for (;;) {
                for (long[] v : q.getBatch(64, Duration.ofMillis(100))) {
                    rec.clear();
                    rec.putLong(v[0]).putLong(v[1]);
                    raw.write(rec.array());
                }
                raw.flush();
            }
        }
    }

    /** Puts "item-0".."item-(n-1)" into a journal, then exits. */
    private static void journalPut(QueueDescriptor d, int n) throws Exception {
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            for (int i = 0; i < n; i++) {
                q.put("item-" + i);
            }
        }
    }

    /** Gets n items from a journal and prints them, or prints the exception's message. */
    private static void journalGet(QueueDescriptor d, int n) throws Exception {
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            for (int i = 0; i < n; i++) {
                System.out.println("got " + q.get(Duration.ofSeconds(20)));
            }
        } catch (dev.conduit.queue.QueueException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }

    /** Claims a slot (a batch of {@code n}) and dies while writing it. */
    private static void haltMidWrite(QueueDescriptor d, int n) throws IOException {
        ShmOptions o = ShmOptions.of(d);
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        SharedRing.Payload dying = new SharedRing.Payload() {
            @Override
            public int size() {
                return 8;
            }

            @Override
            public void writeTo(ByteBuffer target, int offset) {
                target.putLong(offset, 0xDEADL);
                Runtime.getRuntime().halt(3);
            }
        };
        SharedRing.Payload[] batch = new SharedRing.Payload[n];
        java.util.Arrays.fill(batch, dying);
        if (n == 1) {
            ring.tryOffer(0, dying, new SharedRing.Stall());
        } else {
            ring.tryOfferAll(0, batch);
        }
        throw new IOException("the queue was full; nothing to die in");
    }

    /**
     * Dies as {@code clear()} would if killed between holding the producer index and letting it
     * go: the clear turn names this process and lane 0's index has its clearing bit set.
     */
    private static void haltMidClear(QueueDescriptor d) throws IOException {
        ShmOptions o = ShmOptions.of(d);
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        long me = RingLayout.tag(0, ring.users().user(), ring.users().generation());
        if (!SharedRing.LONG.compareAndSet(ring.buf, RingLayout.CLEAR_OWNER_OFFSET, 0L, me)) {
            throw new IOException("another clear holds the turn");
        }
        int index = ring.layout.laneOffset(0) + RingLayout.PRODUCER_INDEX;
        long p = (long) SharedRing.LONG.getAcquire(ring.buf, index);
        SharedRing.LONG.setRelease(ring.buf, index, p | RingLayout.CLEARING);
        Runtime.getRuntime().halt(3);
    }

    /**
     * Dies as a producer of a single-producer queue would if killed between its index CAS and its
     * writer tag: holding the producer role, with an index claimed and its slot untouched.
     */
    private static void haltAfterClaim(QueueDescriptor d) throws IOException {
        ShmOptions o = ShmOptions.of(d);
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        ring.claimProducerRole();
        int index = ring.layout.laneOffset(0) + RingLayout.PRODUCER_INDEX;
        long p = (long) SharedRing.LONG.getAcquire(ring.buf, index);
        if (!SharedRing.LONG.compareAndSet(ring.buf, index, p, p + 1)) {
            throw new IOException("lane 0's producer index moved");
        }
        Runtime.getRuntime().halt(3);
    }

    /** Takes {@code n} byte items, each within 20 s, then exits; a refusal ends it with the exception. */
    private static void getBytes(QueueDescriptor d, int n) throws Exception {
        try (MessageQueue<byte[]> q = d.open(Codecs.bytes())) {
            for (int i = 0; i < n; i++) {
                q.get(Duration.ofSeconds(20));
            }
        }
    }

    /** Takes a run of up to {@code n} items at the head with one batch claim and dies decoding the first. */
    private static void haltMidBatchRead(QueueDescriptor d, int n) throws IOException {
        ShmOptions o = ShmOptions.of(d);
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        SharedRing.RunSink sink = new SharedRing.RunSink() {
            @Override
            public void item(Object item) {
            }

            @Override
            public void skipped(RuntimeException failure) {
            }
        };
        for (int i = 0; i < 1000; i++) {
            ring.pollRun(0, dyingCodec(), n, sink);
        }
        throw new IOException("the queue was empty; nothing to die in");
    }

    /** A codec whose decode halts the process. */
    private static Codec<Object> dyingCodec() {
        return new Codec<>() {
            @Override
            public String name() {
                return "dying";
            }

            @Override
            public byte[] encode(Object item) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Object decode(byte[] bytes, int offset, int length) {
                Runtime.getRuntime().halt(3);
                return null;
            }
        };
    }

    /** Takes the head and dies while decoding it. */
    private static void haltMidRead(QueueDescriptor d) throws IOException {
        ShmOptions o = ShmOptions.of(d);
        SharedRing ring = ShmFile.acquire(o.path(), o.layout(), o.openTimeoutNanos(), o.stallTimeoutNanos());
        Codec<Object> dying = dyingCodec();
        for (int i = 0; i < 1000; i++) {
            ring.tryPoll(0, dying, new SharedRing.Stall());
        }
        throw new IOException("the queue was empty; nothing to die in");
    }
}
