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
            new SynchronousQueue<>(), r -> new AsyncThread(r, "conduit-async-" + THREADS.incrementAndGet()));

    /** One of the shared threads: its class is how {@link #isAsyncThread} knows it. */
    private static final class AsyncThread extends Thread {
        AsyncThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    private AsyncSupport() {
    }

    /**
     * Whether a thread is one of the shared threads, which run the waiting half of any handle's
     * {@code putAsync} and {@code getAsync} and the deliveries of {@code asPublisher()}: a backend
     * whose handles belong to one thread must not let such a thread own one, since the next call
     * may run on another of them.
     *
     * @param t a thread
     * @return true if it is one of this class's threads
     */
    public static boolean isAsyncThread(Thread t) {
        return t instanceof AsyncThread;
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
