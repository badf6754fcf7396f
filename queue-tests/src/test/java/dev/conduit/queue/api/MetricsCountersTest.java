package dev.conduit.queue.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.spi.MetricsCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The striped counters behind in-JVM metrics: each counter separate, and exact across threads. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MetricsCountersTest {

    @Test
    void eachCounterLandsInItsOwnFieldOfTheSnapshot() {
        MetricsCounters c = new MetricsCounters();
        c.puts(1);
        c.gets(2);
        c.rejected();
        c.rejected();
        c.rejected();
        c.dropped(4);
        c.waited();
        c.waited();
        c.waited();
        c.waited();
        c.waited();
        c.bytesIn(6);
        c.bytesOut(7);
        c.cleared(8);
        QueueMetrics m = c.snapshot(9, 10, 11);
        assertEquals(new QueueMetrics(9, 10, 1, 2, 3, 4, 5, 6, 7, 11, 8), m);
        assertEquals(1, c.puts());
        assertEquals(2, c.gets());
    }

    @Test
    void countsFromManyThreadsAddUpExactly() throws Exception {
        MetricsCounters c = new MetricsCounters();
        int threads = 8;
        int each = 200_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    c.puts(1);
                    c.rejected();
                    c.bytesIn(3);
                }
            });
            w.start();
            workers.add(w);
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        QueueMetrics m = c.snapshot(0, 1, -1);
        assertEquals((long) threads * each, m.puts());
        assertEquals((long) threads * each, m.rejected());
        assertEquals(3L * threads * each, m.bytesIn());
        assertEquals(0, m.gets());
    }
}
