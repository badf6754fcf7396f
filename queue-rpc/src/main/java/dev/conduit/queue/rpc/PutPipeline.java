package dev.conduit.queue.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

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
 * <p>Thread-safe.
 */
final class PutPipeline {
    /** Sends one batch to the server, waiting for room as long as it takes. */
    @FunctionalInterface
    interface BatchSender {
        /**
         * @param batch the items, in order
         * @return true if added, false if refused (nothing added)
         * @throws InterruptedException if the sending thread is interrupted
         */
        boolean send(PackedItems batch) throws InterruptedException;
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

    /**
     * @param sender sends a batch
     * @param executor runs the sender while items wait (a thread is held only then)
     * @param maxBatchItems most items per batch (at most the queue's capacity), asked per batch; a
     *     batch holds at least one entry, however large
     * @param maxBatchBytes most payload bytes per batch (a batch holds at least one entry)
     */
    PutPipeline(BatchSender sender, Executor executor, IntSupplier maxBatchItems, long maxBatchBytes) {
        this.sender = sender;
        this.executor = executor;
        this.maxBatchItems = maxBatchItems;
        this.maxBatchBytes = maxBatchBytes;
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
        List<PackedItems> parts = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            parts.add(p.items);
        }
        try {
            boolean added = sender.send(PackedItems.join(parts));
            for (Pending p : batch) {
                p.added.complete(added);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(batch, e);
        } catch (RuntimeException | Error e) {
            fail(batch, e);
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
