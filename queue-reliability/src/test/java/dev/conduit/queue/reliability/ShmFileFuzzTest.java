package dev.conduit.queue.reliability;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.shm.RingLayout;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;

/**
 * Jazzer: a real {@code shm} queue file, made with the public API and holding two items, has its
 * header, lane table or slots overwritten with fuzzed bytes (or is replaced by a whole fuzzed
 * file); then it is opened and used: size, get, peek, put, metrics. The only exceptions allowed
 * are {@link QueueException} and its subclasses; an out-of-bounds read, a negative array size, an
 * out-of-memory error, a crash of the JVM or a call that does not return within
 * {@link #CALL_BOUND} fails the test.
 *
 * <p>CI runs this in regression mode over the committed corpus in
 * {@code src/test/resources/dev/conduit/queue/reliability/ShmFileFuzzTestInputs/}; fuzz for
 * five minutes with {@code JAZZER_FUZZ=1 mvn -pl queue-reliability test -Dtest=ShmFileFuzzTest}. Inputs that
 * show a known open bug are kept out of the corpus and reproduced in {@link DamagedShmSlotTest}.
 */
class ShmFileFuzzTest {
    /** The longest any one use of the damaged queue may take (its timeouts are 20 ms). */
    static final Duration CALL_BOUND = Duration.ofSeconds(10);
    private static final Path DIR = tempDir();
    private static final AtomicLong IDS = new AtomicLong();
    private static final ExecutorService CALLER = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "shm-fuzz-call");
        t.setDaemon(true);
        return t;
    });

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("shm-fuzz");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        CALLER.shutdownNow();
        try (var files = Files.list(DIR)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(DIR);
    }

    private static QueueDescriptor queue(String id) {
        return QueueDescriptor.shm(id).withNamespace("fuzz").withCapacity(4).withOption("dir", DIR.toString())
                .withOption("itemSize", "64").withOption("lanes", "2").withOption("openTimeoutMs", "20")
                .withOption("stallTimeoutMs", "20");
    }

    @FuzzTest(maxDuration = "5m")
    void aDamagedQueueFileIsRefusedWithAQueueExceptionOrKeepsWorking(FuzzedDataProvider data) throws Exception {
        String id = "f" + IDS.incrementAndGet();
        QueueDescriptor d = queue(id);
        try (MessageQueue<String> q = d.open(Codecs.string())) {
            q.put("one", 200);
            q.put("two", 10);
        }
        Path file = DIR.resolve("conduit.fuzz@" + id + ".shm");
        try {
            int mode = data.consumeInt(0, 2);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                if (mode == 2) {
                    // A whole fuzzed file in place of the queue.
                    byte[] whole = data.consumeRemainingAsBytes();
                    raf.setLength(0);
                    raf.write(whole);
                } else {
                    long length = raf.length();
                    // mode 0 aims at the header and lane table, mode 1 anywhere (mostly slots).
                    long limit = mode == 0 ? Math.min(length, RingLayout.LANES_TABLE_OFFSET + 2 * RingLayout.LANE_LENGTH) : length;
                    raf.seek(data.consumeLong(0, limit - 1));
                    raf.write(data.consumeRemainingAsBytes());
                }
            }
            bounded(() -> {
                try (MessageQueue<String> q = d.open(Codecs.string())) {
                    exercise(q);
                }
                return null;
            });
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Every operation once or more; a QueueException refusing one is fine, the next is still tried. */
    private static void exercise(MessageQueue<String> q) throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            try {
                q.size();
                q.getBatch(4, Duration.ofMillis(1));
                q.offer("x" + round);
                q.put("p" + round, round * 100, Duration.ofMillis(1));
                q.peek();
                q.poll();
                q.metrics();
                q.isFull();
            } catch (QueueException refused) {
                // documented: a damaged file or slot is reported, the queue goes on
            }
        }
    }

    private interface Call {
        Object run() throws Exception;
    }

    /** Runs {@code call} on another thread; only QueueException may come out, within {@link #CALL_BOUND}. */
    private static void bounded(Call call) throws Exception {
        AtomicReference<Thread> runner = new AtomicReference<>();
        Future<Object> f = CALLER.submit(() -> {
            runner.set(Thread.currentThread());
            return call.run();
        });
        try {
            f.get(CALL_BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            AssertionError hang = new AssertionError("a use of the damaged queue did not return within " + CALL_BOUND
                    + "; it was at:");
            hang.setStackTrace(runner.get().getStackTrace());
            f.cancel(true);
            throw hang;
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof QueueException)) {
                throw new AssertionError("only QueueException may come out of a damaged queue, not "
                        + e.getCause(), e.getCause());
            }
        }
    }
}
