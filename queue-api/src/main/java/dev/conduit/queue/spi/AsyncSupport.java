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
     * Runs a blocking call on the shared threads. Cancelling the returned future withdraws the call:
     * one that has not started never runs; a running one is interrupted, and {@code cancel} waits for
     * it to end and returns true only if it ended with {@link InterruptedException} (which, for the
     * calls of the queue contract, means it did nothing). A call that completed first keeps its
     * outcome, and {@code cancel} returns false.
     *
     * @param call the call; an interrupt must end its waits
     * @param <V> its result
     * @return completes with the result or the call's exception
     */
    public static <V> CompletableFuture<V> run(Callable<V> call) {
        Call<V> f = new Call<>(call);
        POOL.execute(f::runCall);
        return f;
    }

    /**
     * Whether {@code cancel} on a future withdraws its call rather than only marking the future: true
     * for the futures of {@link #run}.
     *
     * @param f a future
     * @return true if cancelling it withdraws the call or reports that it could not
     */
    static boolean cancelWithdraws(CompletableFuture<?> f) {
        return f instanceof Call;
    }

    /**
     * {@link CompletableFuture#completeAsync(java.util.function.Supplier, java.util.concurrent.Executor)}
     * through {@code f}'s own {@code complete} and {@code completeExceptionally}. The JDK's version
     * (17 and 25 alike) completes the future through package-private methods that a subclass cannot
     * override, so a future whose completions must be coordinated with a call in progress (a waiting
     * take or put) overrides {@code completeAsync} with this. As in the JDK, the supplier is not
     * called if the future is already done, and its exception completes the future wrapped in a
     * {@link java.util.concurrent.CompletionException}.
     *
     * @param f the future to complete
     * @param supplier its value
     * @param executor runs the supplier and the completion
     * @param <V> the value type
     * @return {@code f}
     */
    static <V> CompletableFuture<V> completeAsyncThrough(CompletableFuture<V> f,
            java.util.function.Supplier<? extends V> supplier, java.util.concurrent.Executor executor) {
        java.util.Objects.requireNonNull(supplier, "supplier");
        java.util.Objects.requireNonNull(executor, "executor");
        executor.execute(() -> {
            if (f.isDone()) {
                return;
            }
            V value;
            try {
                value = supplier.get();
            } catch (Throwable t) {
                f.completeExceptionally(t instanceof java.util.concurrent.CompletionException ? t
                        : new java.util.concurrent.CompletionException(t));
                return;
            }
            f.complete(value);
        });
        return f;
    }

    /** The future of {@link #run}: a cancel interrupts the call and reports whether it was withdrawn. */
    private static final class Call<V> extends CompletableFuture<V> {
        private static final int NEW = 0;
        private static final int RUNNING = 1;
        private static final int ENDED = 2;
        private final Callable<V> call;
        private final Object lock = new Object();
        /** Guarded by lock. */
        private int state = NEW;
        /** The thread running the call while RUNNING. Guarded by lock. */
        private Thread runner;
        /** Whether a cancel came before the call ended. Guarded by lock. */
        private boolean cancelRequested;
        /** Whether the call was withdrawn (never ran, or ended interrupted after a cancel). Guarded by lock. */
        private boolean withdrawn;

        Call(Callable<V> call) {
            this.call = call;
        }

        void runCall() {
            synchronized (lock) {
                if (state != NEW) {
                    return; // cancelled before it started
                }
                state = RUNNING;
                runner = Thread.currentThread();
            }
            V result = null;
            Throwable failure = null;
            try {
                result = call.call();
            } catch (Throwable t) {
                failure = t;
            }
            boolean cancelled;
            synchronized (lock) {
                state = ENDED;
                runner = null;
                cancelled = withdrawn = cancelRequested && failure instanceof InterruptedException;
                lock.notifyAll();
            }
            // A cancel's interrupt that came after the call returned must not reach the pool's next task.
            Thread.interrupted();
            if (cancelled) {
                super.cancel(false);
            } else if (failure != null) {
                super.completeExceptionally(failure);
            } else {
                super.complete(result);
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean interrupted = false;
            synchronized (lock) {
                if (state == NEW) {
                    state = ENDED;
                    withdrawn = true;
                } else if (state == RUNNING && !cancelRequested) {
                    cancelRequested = true;
                    runner.interrupt();
                }
                while (state == RUNNING) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (!withdrawn) {
                    return isCancelled();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            super.cancel(mayInterruptIfRunning);
            return true;
        }
    }
}
