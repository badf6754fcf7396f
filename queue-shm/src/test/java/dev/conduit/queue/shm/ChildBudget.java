package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.fail;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueFullException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One time budget for all the waits on a test's child processes, so that together they end well
 * inside the test class's {@code @Timeout}: a hung child fails the test naming itself and its log,
 * and is killed, instead of the timeout interrupting the test with no word of which child hung.
 * Not thread-safe.
 */
final class ChildBudget {
    private final long seconds;
    private final long end;

    /** A budget of {@code seconds} from now. */
    ChildBudget(long seconds) {
        this.seconds = seconds;
        this.end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    /**
     * Waits for {@code child} to exit, until the budget's end. A child still running then is killed
     * with SIGKILL and reaped, and the test fails.
     *
     * @param what the child's part, for the failure message, e.g. "the producer"
     * @param log its log, read only on failure
     * @return its exit code
     */
    int await(Process child, String what, Supplier<String> log) throws InterruptedException {
        if (!child.waitFor(leftNanos(), TimeUnit.NANOSECONDS)) {
            ranOut(child, what, "had not exited", log);
        }
        return child.exitValue();
    }

    /**
     * Puts {@code item} for a consumer child to take, waiting for room until the budget's end. A
     * queue still full then means the consumer stopped taking: it is killed and the test fails.
     */
    <T> void putFor(Process consumer, String what, Supplier<String> log, MessageQueue<T> q, T item)
            throws InterruptedException {
        try {
            q.put(item, Duration.ofNanos(leftNanos()));
        } catch (QueueFullException full) {
            ranOut(consumer, what, "had stopped taking (the queue was still full)", log);
        }
    }

    private long leftNanos() {
        return Math.max(0, end - System.nanoTime());
    }

    private void ranOut(Process child, String what, String problem, Supplier<String> log)
            throws InterruptedException {
        Children.kill9(child);
        fail(what + " (pid " + child.pid() + ") " + problem + " when the test's " + seconds
                + " s budget for its child processes ran out; it was killed. Its log:\n" + log.get());
    }
}
