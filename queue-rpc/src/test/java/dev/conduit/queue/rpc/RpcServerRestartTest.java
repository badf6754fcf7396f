package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The server process is killed (SIGKILL) during traffic and started again on the same port. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RpcServerRestartTest {

    @Test
    void withAnInMemoryQueueClientsGetAClearErrorNotAHangAndCarryOnAfterTheRestart(@TempDir Path dir)
            throws Exception {
        ServerProcess server = ServerProcess.start(dir, 0, List.of());
        int port = server.port;
        // Own threads, not the common pool: on JDK 25 with 2 CPUs CompletableFuture's default
        // executor is a common pool of parallelism 1, so the consumer would not start until the
        // producer's endless loop ended (and it would first open its handle on the dead server).
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", port, "volatile").withCapacity(100_000)
                    .withOption("reconnectMillis", "2000").withOption("callTimeoutMillis", "3000");
            MessageQueue<String> producer = d.open(Codecs.string());
            MessageQueue<String> consumer = d.open(Codecs.string());
            AtomicLong acked = new AtomicLong();
            AtomicLong received = new AtomicLong();
            CompletableFuture<Throwable> putFailure = CompletableFuture.supplyAsync(() -> {
                try {
                    for (long i = 0; ; i++) {
                        producer.put(Long.toString(i));
                        acked.incrementAndGet();
                    }
                } catch (Throwable t) {
                    return t;
                }
            }, clients);
            CompletableFuture<Throwable> getFailure = CompletableFuture.supplyAsync(() -> {
                try {
                    for (;;) {
                        consumer.get(Duration.ofSeconds(60));
                        received.incrementAndGet();
                    }
                } catch (Throwable t) {
                    return t;
                }
            }, clients);
            long trafficDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // Both handles must have reached the first server: the restart check below is about handles
            // that knew the old server.
            while (acked.get() < 200 || received.get() < 200) {
                if (putFailure.isDone() || getFailure.isDone() || System.nanoTime() > trafficDeadline) {
                    AssertionError e = new AssertionError("no traffic before the kill: " + acked.get() + " puts, "
                            + received.get() + " gets; producer ended with " + putFailure.getNow(null)
                            + ", consumer with " + getFailure.getNow(null));
                    e.addSuppressed(putFailure.getNow(new Throwable("producer still running")));
                    e.addSuppressed(getFailure.getNow(new Throwable("consumer still running")));
                    throw e;
                }
                Thread.sleep(20);
            }
            server.kill();
            long killed = System.nanoTime();
            Throwable put = putFailure.get(30, TimeUnit.SECONDS);
            Throwable get = getFailure.get(30, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            assertInstanceOf(ServerUnavailableException.class, put, () -> put.toString());
            assertInstanceOf(ServerUnavailableException.class, get, () -> get.toString());
            assertTrue(ms < 15_000, "the clients were told after " + ms + " ms");
            assertTrue(put.getMessage().contains("127.0.0.1:" + port), put.getMessage());

            server = ServerProcess.start(dir, port, List.of());
            QueueException restarted = assertThrows(QueueException.class, () -> producer.put("-1"));
            assertInstanceOf(ServerRestartedException.class, restarted);
            assertTrue(restarted.getMessage().contains("restarted"), restarted.getMessage());
            // The handle reconnected: the fresh queue works for both handles.
            producer.put("42");
            assertThrows(ServerRestartedException.class, () -> consumer.get(Duration.ofSeconds(5)));
            assertEquals("42", consumer.get(Duration.ofSeconds(5)));
            producer.close();
            consumer.close();
        } finally {
            clients.shutdownNow();
            server.kill();
        }
    }
}
