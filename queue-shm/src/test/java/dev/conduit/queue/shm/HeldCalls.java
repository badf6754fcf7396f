package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What the tests that hold a real put or get of this process in mid-call share: a payload that
 * holds the putting thread after it wrote its bytes, bounded waits on latches and futures, numbered
 * items, and the test's own threads.
 *
 * <p>Registered per test instance ({@code @RegisterExtension final HeldCalls calls = new HeldCalls()}),
 * it gives each test a cached pool of its own (the common pool may have one thread, and these tasks
 * wait on each other), shut down and awaited after the test. Every wait here is bounded by
 * {@link #BOUND_SECONDS}.
 */
final class HeldCalls implements AfterEachCallback {
    static final long BOUND_SECONDS = 30;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    /** This test's threads. */
    Executor threads() {
        return threads;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS), "a test thread did not end");
    }

    /** Item {@code n}: 16 bytes, {@code magic} then {@code n}, so each test's items are its own. */
    static byte[] item(long magic, int n) {
        return ByteBuffer.allocate(16).putLong(magic).putLong(n).array();
    }

    /**
     * The bytes codec under another name, running {@code afterDecode} after each decode of a
     * buffer (the path a take reads through), with the item already copied: a test holds the
     * taking thread there (it still holds its read) or throws from it (a codec that fails).
     */
    static Codec<byte[]> bytesCodec(String name, Runnable afterDecode) {
        Codec<byte[]> bytes = Codecs.bytes();
        return new Codec<>() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public byte[] encode(byte[] item) {
                return bytes.encode(item);
            }

            @Override
            public byte[] decode(byte[] b, int offset, int length) {
                return bytes.decode(b, offset, length);
            }

            @Override
            public byte[] decode(ByteBuffer buffer) {
                byte[] item = bytes.decode(buffer);
                afterDecode.run();
                return item;
            }
        };
    }

    /** A payload that writes its bytes, then holds the putting thread until {@code go}. */
    static SharedRing.Payload held(byte[] bytes, CountDownLatch inside, CountDownLatch go) {
        return new SharedRing.Payload() {
            @Override
            public int size() {
                return bytes.length;
            }

            @Override
            public void writeTo(ByteBuffer target, int offset) {
                target.put(offset, bytes);
                inside.countDown();
                await(go);
            }
        };
    }

    /**
     * Waits for {@code latch}, at most {@link #BOUND_SECONDS}.
     *
     * @throws AssertionError if it is not released in time, or the wait is interrupted (the
     *     interrupt is kept)
     */
    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("not released within " + BOUND_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The result of {@code f}, waited for at most {@link #BOUND_SECONDS}. */
    static <T> T within(CompletableFuture<T> f) throws Exception {
        return f.get(BOUND_SECONDS, TimeUnit.SECONDS);
    }
}
