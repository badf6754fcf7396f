package dev.conduit.queue.rpc;

import dev.conduit.queue.rpc.proto.IdempotencyKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * {@code putAsync} and {@code putAllAsync} for one rpc handle: entries (one item, or one atomic
 * batch of a {@code putAllAsync}) wait in a line on the client and one sender moves them to the
 * server as batches (one PutBatch per batch, with its own idempotency key), one batch in flight at a
 * time. So the caller never waits for a round trip, entries arrive in the order they were given, and
 * under load each round trip carries every entry given meanwhile (group commit). An entry is never
 * split across batches, and a batch is applied atomically, so each entry's future completes when its
 * batch is acknowledged, or fails with the batch's failure, in which case none of its items was
 * added. (Joining atomic batches into one keeps each of them atomic and contiguous.)
 *
 * <p>Only for queues that block when full: a batch waits for room for all of its items, which for
 * such a queue is what the same items put one by one would do.
 *
 * <p>{@link #close} stops the line: entries not yet sent fail with the closed error, and the batch
 * in flight, if any, is settled by its key (the server says whether it applied it, and makes sure
 * it never will if it did not), so its futures report what the server did.
 *
 * <p>Thread-safe.
 */
final class PutPipeline {
    /** Sends one batch to the server, waiting for room as long as it takes. */
    @FunctionalInterface
    interface BatchSender {
        /**
         * @param batch the items, in order
         * @param key the batch's idempotency key, for every attempt of it
         * @return true if added, false if refused (nothing added)
         * @throws InterruptedException if the sending thread is interrupted
         */
        boolean send(PackedItems batch, IdempotencyKey key) throws InterruptedException;
    }

    /** The batch being sent, with its key; whoever takes it from {@link #inFlight} completes it. */
    private record InFlight(List<Pending> batch, IdempotencyKey key) {
    }

    /** One entry of the line: the items of one putAsync or putAllAsync call. */
    private static final class Pending {
        final PackedItems items;
        final CompletableFuture<Boolean> added = new CompletableFuture<>();

        Pending(PackedItems items) {
            this.items = items;
        }
    }

    private final ConcurrentLinkedQueue<Pending> line = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final BatchSender sender;
    private final Executor executor;
    private final IntSupplier maxBatchItems;
    private final long maxBatchBytes;
    private final Supplier<IdempotencyKey> keys;
    private final Supplier<RuntimeException> closedError;
    private final AtomicReference<InFlight> inFlight = new AtomicReference<>();
    private volatile boolean closed;

    /**
     * @param sender sends a batch
     * @param executor runs the sender while items wait (a thread is held only then)
     * @param maxBatchItems most items per batch (at most the queue's capacity), asked per batch; a
     *     batch holds at least one entry, however large
     * @param maxBatchBytes most payload bytes per batch (a batch holds at least one entry)
     * @param keys a fresh idempotency key per batch
     * @param closedError the failure of entries not sent because the line was closed
     */
    PutPipeline(BatchSender sender, Executor executor, IntSupplier maxBatchItems, long maxBatchBytes,
            Supplier<IdempotencyKey> keys, Supplier<RuntimeException> closedError) {
        this.sender = sender;
        this.executor = executor;
        this.maxBatchItems = maxBatchItems;
        this.maxBatchBytes = maxBatchBytes;
        this.keys = keys;
        this.closedError = closedError;
    }

    /**
     * Closes the line: no batch is sent from now on, and the batch in flight, if any, is settled
     * here, on the calling thread. Call before the handle ends its calls in flight, so the sender
     * cannot fail that batch first.
     *
     * @param settle asks the server whether the put with this key was applied, making sure it never
     *     will be if not; null when the server did not answer (the outcome is unknown)
     * @param unknown the failure of a batch whose outcome is unknown, given its key
     * @return the settling to do once the handle's calls in flight are ended; runs on the caller
     */
    Runnable close(Function<IdempotencyKey, Boolean> settle, Function<IdempotencyKey, RuntimeException> unknown) {
        closed = true;
        InFlight f = inFlight.getAndSet(null);
        if (f == null) {
            return () -> { };
        }
        return () -> {
            Boolean applied;
            try {
                applied = settle.apply(f.key());
            } catch (RuntimeException | Error e) {
                applied = null;
            }
            if (applied == null) {
                fail(f.batch(), unknown.apply(f.key()));
            } else if (applied) {
                for (Pending p : f.batch()) {
                    p.added.complete(true);
                }
            } else {
                fail(f.batch(), closedError.get());
            }
        };
    }

    /**
     * Adds an entry to the line: its items travel together in one PutBatch.
     *
     * @param items the encoded items (one for putAsync), at most the queue's capacity
     * @return completes with the outcome of the batch that carries the items
     */
    CompletableFuture<Boolean> add(PackedItems items) {
        Pending p = new Pending(items);
        line.add(p);
        if (wip.getAndIncrement() == 0) {
            try {
                executor.execute(this::drain);
            } catch (RuntimeException e) {
                wip.set(0);
                failAll(e);
            }
        }
        return p.added;
    }

    private void drain() {
        int missed = 1;
        for (;;) {
            List<Pending> batch;
            try {
                while (!(batch = nextBatch()).isEmpty()) {
                    send(batch);
                }
            } catch (RuntimeException e) {
                // The batch size could not be learnt (server unreachable, handle closed).
                failAll(e);
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    private List<Pending> nextBatch() {
        if (line.isEmpty()) {
            return List.of();
        }
        int max = maxBatchItems.getAsInt();
        List<Pending> batch = new ArrayList<>();
        int items = 0;
        long bytes = 0;
        Pending p;
        while ((p = line.peek()) != null) {
            if (!batch.isEmpty() && (items + p.items.count() > max || bytes + p.items.bytes() > maxBatchBytes)) {
                break;
            }
            line.poll();
            batch.add(p);
            items += p.items.count();
            bytes += p.items.bytes();
        }
        return batch;
    }

    private void send(List<Pending> batch) {
        if (closed) {
            fail(batch, closedError.get());
            return;
        }
        InFlight f = new InFlight(batch, keys.get());
        inFlight.set(f);
        if (closed && inFlight.compareAndSet(f, null)) {
            // Closed before close() could see the batch: it was never sent.
            fail(batch, closedError.get());
            return;
        }
        List<PackedItems> parts = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            parts.add(p.items);
        }
        boolean added = false;
        Throwable failure = null;
        try {
            added = sender.send(PackedItems.join(parts), f.key());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = e;
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        if (!inFlight.compareAndSet(f, null)) {
            // close() took the batch: it settles it with the server and completes its futures.
            return;
        }
        if (failure != null) {
            fail(batch, failure);
        } else {
            for (Pending p : batch) {
                p.added.complete(added);
            }
        }
    }

    private static void fail(List<Pending> batch, Throwable e) {
        for (Pending p : batch) {
            p.added.completeExceptionally(e);
        }
    }

    private void failAll(Throwable e) {
        Pending p;
        while ((p = line.poll()) != null) {
            p.added.completeExceptionally(e);
        }
    }
}
