package dev.conduit.queue.spi;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shared daemon threads that run the waiting half of {@code putAsync}, {@code getAsync} and
 * publisher deliveries. Threads are made on demand and end after 30 s idle.
 */
public final class AsyncSupport {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "conduit-async-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    private AsyncSupport() {
    }

    /** @return the executor */
    public static ExecutorService executor() {
        return POOL;
    }

    /**
     * Runs a blocking call on the shared threads.
     *
     * @param call the call
     * @param <V> its result
     * @return completes with the result or the call's exception
     */
    public static <V> CompletableFuture<V> run(Callable<V> call) {
        CompletableFuture<V> f = new CompletableFuture<>();
        POOL.execute(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }
}
