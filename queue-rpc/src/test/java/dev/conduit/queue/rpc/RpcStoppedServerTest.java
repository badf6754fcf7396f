package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** A server process that stops answering (SIGSTOP) while a client waits on it, then resumes (SIGCONT). */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EnabledOnOs(OS.LINUX)
class RpcStoppedServerTest {
    private static void signal(ServerProcess server, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(server.process.pid())).inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " failed");
        if (signal.equals("STOP")) {
            // kill returns once the signal is sent; the process stops when all its threads have.
            Path stat = Path.of("/proc", Long.toString(server.process.pid()), "stat");
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (;;) {
                String s = Files.readString(stat);
                if (s.substring(s.lastIndexOf(')') + 2).startsWith("T")) {
                    return;
                }
                assertTrue(System.nanoTime() < giveUp, "the server did not stop within 30 s: " + s);
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void closingAHandleWhoseGetWaitsOnAStoppedServerEndsTheGetAtOnceAndLosesNoItem(@TempDir Path dir)
            throws Exception {
        int trials = 5;
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (ServerProcess server = ServerProcess.start(dir, 0, List.of())) {
            QueueDescriptor d = QueueDescriptor.rpc("127.0.0.1", server.port, "stopped")
                    .withOption("callTimeoutMillis", "20000");
            try (MessageQueue<String> producer = d.open(Codecs.string())) {
                for (int i = 0; i < trials; i++) {
                    MessageQueue<String> consumer = d.open(Codecs.string());
                    long waitsBefore = producer.metrics().waits();
                    Future<Object> got = threads.submit(() -> {
                        try {
                            return consumer.get(Duration.ofSeconds(60));
                        } catch (Throwable t) {
                            return t;
                        }
                    });
                    // The get is parked on the server once the server counted its wait.
                    while (producer.metrics().waits() == waitsBefore) {
                        Thread.onSpinWait();
                    }
                    String item = "item-" + i;
                    Future<?> put;
                    long closeNanos;
                    Object outcome;
                    long getNanos;
                    signal(server, "STOP");
                    try {
                        // A put the server will see when it resumes, maybe before the get's CancelGet:
                        // then it hands the item to the get that the close ended.
                        put = threads.submit(() -> {
                            producer.put(item);
                            return null;
                        });
                        long start = System.nanoTime();
                        consumer.close();
                        closeNanos = System.nanoTime() - start;
                        outcome = got.get(30, TimeUnit.SECONDS);
                        getNanos = System.nanoTime() - start;
                    } finally {
                        signal(server, "CONT");
                    }
                    put.get(30, TimeUnit.SECONDS);
                    long closeMs = TimeUnit.NANOSECONDS.toMillis(closeNanos);
                    long getMs = TimeUnit.NANOSECONDS.toMillis(getNanos);
                    assertTrue(closeMs < 1000, "trial " + i + ": close() took " + closeMs + " ms on a stopped server");
                    assertInstanceOf(QueueClosedException.class, outcome, "trial " + i + ": " + outcome);
                    assertTrue(getMs < 1000, "trial " + i + ": the get ended " + getMs + " ms after close()");
                    assertEquals(item, producer.get(Duration.ofSeconds(20)), "trial " + i + ": the item was lost");
                    assertEquals(0, producer.size(), "trial " + i);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
