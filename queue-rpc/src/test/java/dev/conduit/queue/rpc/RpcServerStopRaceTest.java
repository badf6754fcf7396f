package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calls that reach a real in-process QueueServer on loopback as it stops: many trials, each starting
 * calls and {@code close()} together.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RpcServerStopRaceTest {
    private static final int TRIALS = 25;
    private static final int CALLS = 12;
    /** Far longer than a stop takes. */
    private static final Duration GRACE = Duration.ofSeconds(20);

    /** Up to 2 ms of delay, so the calls of a trial reach the server before, during and after the stop. */
    private static void jitter() {
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(2)));
    }

    @Test
    void aQueueOpenedAsTheServerStopsIsReleasedWithTheRest() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(CALLS);
        try {
            for (int t = 0; t < TRIALS; t++) {
                QueueServer server = QueueServer.builder().port(0).shutdownGrace(GRACE).start();
                CyclicBarrier start = new CyclicBarrier(CALLS + 1);
                List<Future<Object>> opens = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", server.port(), "opened-" + t + "-" + i)
                            .withOption("reconnectMillis", "300");
                    opens.add(threads.submit(() -> {
                        start.await();
                        jitter();
                        // Opening the handle opens the queue on the server.
                        try (MessageQueue<String> q = d.open(Codecs.string())) {
                            return q.capacity();
                        } catch (ServerUnavailableException | QueueClosedException e) {
                            return e;
                        }
                    }));
                }
                start.await();
                jitter();
                server.close();
                for (Future<Object> o : opens) {
                    o.get(GRACE.toSeconds() + 30, TimeUnit.SECONDS);
                }
                assertEquals(0, server.queueCount(), "trial " + t + ": queues opened as the server stopped were "
                        + "never released (a durable one's journal stays open)");
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
