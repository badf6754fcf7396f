package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/** Small helpers the rpc tests share: numbered items to put, and waiting until a condition holds. */
final class RpcTestSupport {
    /** How long the awaits wait before they fail the test. */
    private static final long AWAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final Duration DEFAULT_POLL = Duration.ofMillis(1);

    private RpcTestSupport() {
    }

    /**
     * @param from the first number
     * @param to one past the last number
     * @return the numbers {@code from} (inclusive) to {@code to} (exclusive) as strings, in order
     */
    static List<String> numbers(int from, int to) {
        return IntStream.range(from, to).mapToObj(Integer::toString).toList();
    }

    /**
     * Polls {@code condition} every millisecond until it holds.
     *
     * @param condition what to wait for
     * @param what the condition in words, for the failure message
     * @throws org.opentest4j.AssertionFailedError if it does not hold within 20 s
     */
    static void await(BooleanSupplier condition, String what) {
        await(condition, what, DEFAULT_POLL);
    }

    /**
     * Polls {@code condition} every {@code poll} until it holds.
     *
     * @param condition what to wait for
     * @param what the condition in words, for the failure message
     * @param poll how long to park between polls
     * @throws org.opentest4j.AssertionFailedError if it does not hold within 20 s
     */
    static void await(BooleanSupplier condition, String what, Duration poll) {
        long until = System.nanoTime() + AWAIT_LIMIT_NANOS;
        long pollNanos = poll.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out waiting until " + what);
            LockSupport.parkNanos(pollNanos);
        }
    }
}
