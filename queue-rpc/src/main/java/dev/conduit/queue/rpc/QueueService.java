package dev.conduit.queue.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.rpc.proto.CancelGetRequest;
import dev.conduit.queue.rpc.proto.CancelGetResponse;
import dev.conduit.queue.rpc.proto.ClearResponse;
import dev.conduit.queue.rpc.proto.Delivery;
import dev.conduit.queue.rpc.proto.DestroyResponse;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.IdempotencyKey;
import dev.conduit.queue.rpc.proto.Item;
import dev.conduit.queue.rpc.proto.ListQueuesRequest;
import dev.conduit.queue.rpc.proto.ListQueuesResponse;
import dev.conduit.queue.rpc.proto.Metrics;
import dev.conduit.queue.rpc.proto.MetricsResponse;
import dev.conduit.queue.rpc.proto.OpenRequest;
import dev.conduit.queue.rpc.proto.OpenResponse;
import dev.conduit.queue.rpc.proto.PeekResponse;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.PutResponse;
import dev.conduit.queue.rpc.proto.QueueInfo;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueRequest;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import dev.conduit.queue.rpc.proto.SettlePutRequest;
import dev.conduit.queue.rpc.proto.SettlePutResponse;
import dev.conduit.queue.rpc.proto.SizeResponse;
import dev.conduit.queue.rpc.proto.SubscribeRequest;
import dev.conduit.queue.rpc.proto.WaitRequest;
import dev.conduit.queue.rpc.proto.WaitResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC service: every call resolves its queue, does one thing, and answers. Nothing here
 * decodes a payload. Reads that must wait are parked in the queue's {@link WaitingRoom} (no thread
 * is held); puts that must wait for room run on a bounded pool of waiting threads.
 *
 * <p>Thread-safe.
 */
final class QueueService extends QueueServiceGrpc.QueueServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(QueueService.class);
    /** Items one Get or Subscribe step moves at most, whatever the client asked. */
    static final int MAX_ITEMS_PER_GET = 65_536;
    /** Keep a reply under this many payload bytes (it always holds at least one item). */
    private static final long MAX_REPLY_BYTES = 4L << 20;
    /** How long a subscription's idle wake-up waits before re-arming. */
    private static final long SUBSCRIPTION_REARM_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** How long a CancelGet that found no waiting get is remembered for a get still on its way. */
    private static final long EARLY_CANCEL_MEMORY_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Early cancellations remembered at most (a bound against a client flooding them). */
    private static final int MAX_EARLY_CANCELS = 100_000;

    /**
     * The methods whose handlers never block (they answer at once, park in a {@link WaitingRoom},
     * or hand a wait to the waiting-put pool), so they run on the transport's thread without a
     * hop to the call pool.
     */
    static final java.util.Set<String> NON_BLOCKING_METHODS = java.util.Set.of(
            QueueServiceGrpc.getPutMethod().getFullMethodName(),
            QueueServiceGrpc.getPutBatchMethod().getFullMethodName(),
            QueueServiceGrpc.getSettlePutMethod().getFullMethodName(),
            QueueServiceGrpc.getGetMethod().getFullMethodName(),
            QueueServiceGrpc.getCancelGetMethod().getFullMethodName(),
            QueueServiceGrpc.getReturnItemsMethod().getFullMethodName(),
            QueueServiceGrpc.getPeekMethod().getFullMethodName(),
            QueueServiceGrpc.getSizeMethod().getFullMethodName(),
            QueueServiceGrpc.getAwaitNotEmptyMethod().getFullMethodName());

    private final String epoch;
    private final HostedQueues queues;
    private final IdempotencyWindow window;
    private final ExecutorService waitingPuts;
    private final Executor callExecutor;
    private final long maxItemBytes;
    /** Waiting gets that a client may cancel gently, by namespace/id/call id. */
    private final ConcurrentMap<String, WaitingRoom.Waiter> cancellableGets = new ConcurrentHashMap<>();
    /**
     * Cancellations that arrived before their get registered, by namespace/id/call id, with the
     * time they arrived; forgotten after {@link #EARLY_CANCEL_MEMORY_NANOS}.
     */
    private final ConcurrentMap<String, Long> earlyCancels = new ConcurrentHashMap<>();
    /** Set when the server starts to stop (see {@link #stopping()}). */
    private volatile boolean stopping;

    QueueService(String epoch, HostedQueues queues, IdempotencyWindow window, ExecutorService waitingPuts,
            Executor callExecutor, long maxItemBytes) {
        this.epoch = epoch;
        this.queues = queues;
        this.window = window;
        this.waitingPuts = waitingPuts;
        this.callExecutor = callExecutor;
        this.maxItemBytes = maxItemBytes;
    }

    // ---- plumbing

    private static <R> ServerCallStreamObserver<R> call(StreamObserver<R> observer) {
        ServerCallStreamObserver<R> call = (ServerCallStreamObserver<R>) observer;
        // With a handler set, answering a cancelled call is a no-op instead of an exception.
        call.setOnCancelHandler(() -> { });
        return call;
    }

    /**
     * Answers a unary call.
     *
     * @return false if the answer was certainly not handed to the transport: the call is known
     *     cancelled, or refused it
     */
    static <R> boolean reply(ServerCallStreamObserver<R> call, R value) {
        if (call.isCancelled()) {
            return false;
        }
        try {
            call.onNext(value);
        } catch (StatusRuntimeException | IllegalStateException e) {
            LOG.debug("reply not sent: {}", e.toString());
            return false;
        }
        try {
            call.onCompleted();
        } catch (StatusRuntimeException | IllegalStateException e) {
            LOG.debug("reply not completed: {}", e.toString());
        }
        return true;
    }

    static void fail(StreamObserver<?> call, Throwable e) {
        StatusRuntimeException status;
        if (e instanceof StatusRuntimeException) {
            status = (StatusRuntimeException) e;
        } else {
            ErrorKind kind = ErrorKind.of(e);
            if (kind == ErrorKind.INTERNAL) {
                LOG.atError().setMessage("call failed").setCause(e).log();
            }
            status = kind.toStatus(e.getMessage() != null ? e.getMessage() : e.toString());
        }
        try {
            call.onError(status);
        } catch (StatusRuntimeException | IllegalStateException ignored) {
            // The call is already over (cancelled by the client).
        }
    }

    private static long waitNanos(long requested) {
        long wait = Math.max(0, requested);
        Deadline d = Context.current().getDeadline();
        if (d != null) {
            // Answer (empty) a little before the client's deadline, so a timeout is an answer.
            wait = Math.min(wait, Math.max(0, d.timeRemaining(TimeUnit.NANOSECONDS) - TimeUnit.MILLISECONDS.toNanos(20)));
        }
        return wait;
    }

    private HostedQueue hosted(QueueRef ref) {
        HostedQueue q = queues.get(ref.getNamespace(), ref.getId());
        if (q == null && stopping) {
            // Released as the server stops: the call is for its successor, not for a new Open here.
            throw ErrorKind.SHUTTING_DOWN.toStatus("the queue server is shutting down: nothing was done; retry "
                    + "against its successor");
        }
        if (q == null) {
            throw ErrorKind.QUEUE_UNKNOWN.toStatus("the server does not host queue " + ref.getNamespace() + "/"
                    + ref.getId() + ": open it first");
        }
        if (!ref.getEpoch().isEmpty() && !ref.getEpoch().equals(epoch) && !q.durable) {
            throw ErrorKind.RESTARTED.toStatus("the server restarted since this handle opened in-memory queue "
                    + ref.getNamespace() + "/" + ref.getId() + ": the items it held are lost; nothing was done, "
                    + "and the handle now uses the new, empty queue");
        }
        return q;
    }

    static Metrics toProto(QueueMetrics m) {
        return Metrics.newBuilder().setSize(m.size()).setCapacity(m.capacity()).setPuts(m.puts()).setGets(m.gets())
                .setRejected(m.rejected()).setDropped(m.dropped()).setWaits(m.waits()).setBytesIn(m.bytesIn())
                .setBytesOut(m.bytesOut()).setMaxItemBytes(m.maxItemBytes()).setCleared(m.cleared()).build();
    }

    // ---- open

    @Override
    public void open(OpenRequest req, StreamObserver<OpenResponse> observer) {
        ServerCallStreamObserver<OpenResponse> call = call(observer);
        try {
            QueueDescriptor d = QueueDescriptor.fromJson(req.getDescriptorJson());
            QueueRef ref = req.getQueue();
            if (!d.namespace().equals(ref.getNamespace()) || !d.id().equals(ref.getId())) {
                throw new IllegalArgumentException("the descriptor names " + d.namespace() + "/" + d.id()
                        + " but the request names " + ref.getNamespace() + "/" + ref.getId());
            }
            HostedQueue q = queues.open(d);
            OpenResponse.Builder b = OpenResponse.newBuilder().setEpoch(epoch).setCapacity(q.store().capacity())
                    .setMaxItemBytes(maxItemBytes).setDurable(q.durable).setServerType(q.serverType);
            for (Capability c : q.capabilities) {
                b.addCapabilities(c.name());
            }
            reply(call, b.build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    // ---- puts

    @Override
    public void put(PutRequest req, StreamObserver<PutResponse> observer) {
        doPut(req, call(observer), false);
    }

    @Override
    public void putBatch(PutRequest req, StreamObserver<PutResponse> observer) {
        doPut(req, call(observer), true);
    }

    private void doPut(PutRequest req, ServerCallStreamObserver<PutResponse> call, boolean batch) {
        try {
            HostedQueue q = hosted(req.getQueue());
            int n = req.getItemsCount() + req.getBlock().getLengthsCount();
            if (batch ? n < 1 || n > q.store().capacity() : n != 1) {
                throw new IllegalArgumentException(batch
                        ? "a batch must hold 1 to " + q.store().capacity() + " items (the capacity), not " + n
                        : "a put carries exactly one item, not " + n);
            }
            if (req.getItemsCount() > 0 && req.hasBlock()) {
                throw new IllegalArgumentException("a put carries its items either one message each or in a block, "
                        + "not both");
            }
            List<byte[]> payloads;
            int[] priorities;
            if (req.hasBlock()) {
                PackedItems.Unpacked u = PackedItems.unpack(req.getBlock(), maxItemBytes);
                payloads = u.payloads();
                priorities = u.priorities();
            } else {
                payloads = new ArrayList<>(n);
                priorities = new int[n];
                for (int i = 0; i < n; i++) {
                    Item item = req.getItems(i);
                    if (item.getPayload().size() > maxItemBytes) {
                        throw new ItemTooLargeException("an item of " + item.getPayload().size() + " bytes exceeds "
                                + "the server's limit of " + maxItemBytes + " bytes per item");
                    }
                    // uint32 on the wire: a value past 2^31 reads as a negative int.
                    if (item.getPriority() < 0 || item.getPriority() > MessageQueue.MAX_PRIORITY) {
                        throw new IllegalArgumentException("priority must be 0-255, not "
                                + Integer.toUnsignedString(item.getPriority()));
                    }
                    payloads.add(item.getPayload().toByteArray());
                    priorities[i] = item.getPriority();
                }
            }
            IdempotencyWindow.Outcome outcome = new IdempotencyWindow.Outcome();
            IdempotencyKey key = req.hasKey() ? req.getKey() : null;
            if (key != null) {
                IdempotencyWindow.Outcome earlier = window.claim(key.getClientId(), key.getSequence(), outcome);
                if (earlier != null) {
                    LOG.atDebug().setMessage("duplicate put answered from the window")
                            .addKeyValue("client", key.getClientId()).addKeyValue("sequence", key.getSequence()).log();
                    earlier.whenComplete((ok, err) -> answerPut(call, ok, err, true));
                    return;
                }
            }
            outcome.whenComplete((ok, err) -> {
                if (key != null && (err != null || !ok)) {
                    window.forget(key.getClientId(), key.getSequence(), outcome);
                }
                answerPut(call, ok, err, false);
            });
            long wait = waitNanos(req.getWaitNanos());
            if (wait == 0 || q.hasRoomFor(n)) {
                // There is room (or no wait): the store answers at once. Never wait here: this may
                // run on a transport thread (see NON_BLOCKING_METHODS), and the room may be gone.
                // The key is claimed: whatever happens, the outcome must end, or the key would
                // answer its retries and its settle never.
                boolean added;
                try {
                    added = q.offer(payloads, priorities, 0);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    outcome.completeExceptionally(ErrorKind.SHUTTING_DOWN.toStatus("the server is stopping"));
                    return;
                } catch (RuntimeException e) {
                    outcome.completeExceptionally(e);
                    return;
                }
                if (added || wait == 0) {
                    outcome.complete(added);
                    return;
                }
            }
            waitForRoom(q, payloads, priorities, wait, outcome);
            // A client that gives up (interrupted, deadline) ends the wait: the put adds nothing.
            call.setOnCancelHandler(outcome::cancelWait);
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    /**
     * Marks the server as stopping: from now on a put that fails because its queue is being let go
     * (closed under its wait for room) is answered UNAVAILABLE, so its client retries against a
     * successor, as waiting gets are.
     */
    void stopping() {
        stopping = true;
    }

    private void answerPut(ServerCallStreamObserver<PutResponse> call, Boolean ok, Throwable err,
            boolean duplicate) {
        if (err != null) {
            Throwable e = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                    ? err.getCause() : err;
            if (stopping && (e instanceof QueueClosedException || e instanceof StatusRuntimeException
                    && ErrorKind.of((StatusRuntimeException) e) == ErrorKind.CLOSED)) {
                e = ErrorKind.SHUTTING_DOWN.toStatus("the queue server is shutting down: the put was not applied; "
                        + "retry against its successor");
            }
            fail(call, e);
        } else {
            reply(call, PutResponse.newBuilder().setAccepted(ok).setDuplicate(duplicate).build());
        }
    }

    /**
     * Runs a put that must wait for room on the pool of waiting threads. The outcome's cancel hook
     * ends the wait: the put then adds nothing, unless it was applied first (the outcome says which).
     */
    private void waitForRoom(HostedQueue q, List<byte[]> payloads, int[] priorities, long wait,
            IdempotencyWindow.Outcome outcome) {
        AtomicBoolean started = new AtomicBoolean();
        Runnable task = () -> {
            if (!started.compareAndSet(false, true)) {
                return;
            }
            try {
                outcome.complete(q.offer(payloads, priorities, waitNanos(wait)));
            } catch (InterruptedException e) {
                outcome.completeExceptionally(ErrorKind.CLOSED.toStatus("the put was cancelled; nothing was added"));
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        };
        try {
            Future<?> waiting = waitingPuts.submit(task);
            outcome.onCancel(() -> {
                if (started.compareAndSet(false, true)) {
                    // Never ran, never will.
                    waiting.cancel(false);
                    outcome.completeExceptionally(ErrorKind.CLOSED.toStatus("the put was cancelled; nothing was "
                            + "added"));
                } else {
                    waiting.cancel(true);
                }
            });
        } catch (RejectedExecutionException e) {
            outcome.completeExceptionally(new HostedQueues.QueueLimitException(
                    "the server has too many puts waiting for room; try again later"));
        }
    }

    @Override
    public void settlePut(SettlePutRequest req, StreamObserver<SettlePutResponse> observer) {
        ServerCallStreamObserver<SettlePutResponse> call = call(observer);
        try {
            hosted(req.getQueue());
            IdempotencyKey key = req.getKey();
            IdempotencyWindow.Outcome outcome = window.settle(key.getClientId(), key.getSequence());
            outcome.cancelWait();
            outcome.whenComplete((ok, err) -> {
                boolean applied = err == null && ok;
                LOG.atDebug().setMessage("put settled").addKeyValue("client", key.getClientId())
                        .addKeyValue("sequence", key.getSequence()).addKeyValue("applied", applied).log();
                reply(call, SettlePutResponse.newBuilder().setApplied(applied).build());
            });
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    // ---- gets

    /**
     * Takes up to {@code max} items without waiting, keeping the reply under the byte budget plus one
     * item: a chunk is never more items than the rest of the budget holds at the queue's largest item.
     */
    private static List<byte[]> take(HostedQueue q, HostedQueue.Reader r, int max, TakePositions positions) {
        List<byte[]> items = new ArrayList<>(Math.min(max, 256));
        long bytes = 0;
        long largest = Math.max(1, q.largestItemBytes());
        while (items.size() < max && bytes < MAX_REPLY_BYTES) {
            int before = items.size();
            int chunk = (int) Math.max(1, Math.min(Math.min(max - before, 64), (MAX_REPLY_BYTES - bytes) / largest));
            if (r.take(items, chunk, positions) == 0) {
                break;
            }
            for (int i = before; i < items.size(); i++) {
                bytes += items.get(i).length;
            }
            if (items.size() - before < chunk) {
                break;
            }
        }
        q.delivered(bytes);
        return items;
    }

    /**
     * Answers a get with the items it took. If the answer cannot be sent because the call is known
     * cancelled (its client cancelled it, its deadline passed, its connection went), the items go
     * back to the head of the reader, in their take order, as ReturnItems puts them back.
     */
    private static void answerGet(ServerCallStreamObserver<GetResponse> call, HostedQueue q, HostedQueue.Reader r,
            List<byte[]> items, TakePositions positions, boolean packed) {
        if (!reply(call, toReply(items, positions, packed)) && !items.isEmpty()) {
            q.giveBack(r, items, positions);
            LOG.atDebug().setMessage("items of a cancelled get given back").addKeyValue("items", items.size()).log();
        }
    }

    private static GetResponse toReply(List<byte[]> items, TakePositions positions, boolean packed) {
        if (items.isEmpty()) {
            return GetResponse.getDefaultInstance();
        }
        GetResponse.Builder b = GetResponse.newBuilder();
        positions.writeTo(b::setFirstPosition, b::addPositions);
        if (packed) {
            return b.setBlock(PackedItems.pack(items)).build();
        }
        for (byte[] item : items) {
            // The item was taken out of the store: nothing else writes to it, so no copy is needed.
            b.addItems(UnsafeByteOperations.unsafeWrap(item));
        }
        return b.build();
    }

    @Override
    public void get(GetRequest req, StreamObserver<GetResponse> observer) {
        ServerCallStreamObserver<GetResponse> call = (ServerCallStreamObserver<GetResponse>) observer;
        try {
            HostedQueue q = hosted(req.getQueue());
            HostedQueue.Reader r = q.reader(req.getQueue().getSubscriber());
            int max = Math.max(1, Math.min(req.getMaxItems(), MAX_ITEMS_PER_GET));
            boolean packed = req.getPacked();
            TakePositions positions = new TakePositions();
            List<byte[]> items = take(q, r, max, positions);
            long wait = items.isEmpty() ? waitNanos(req.getWaitNanos()) : 0;
            if (wait == 0) {
                call.setOnCancelHandler(() -> { });
                answerGet(call, q, r, items, positions, packed);
                return;
            }
            q.waited();
            String cancelKey = req.getCallId().isEmpty() ? null : cancelKey(req.getQueue(), req.getCallId());
            WaitingRoom.Waiter w = new WaitingRoom.Waiter() {
                @Override
                boolean serve() {
                    if (call.isCancelled()) {
                        forget();
                        return true;
                    }
                    TakePositions taken = new TakePositions();
                    List<byte[]> got = take(q, r, max, taken);
                    if (got.isEmpty()) {
                        return false;
                    }
                    forget();
                    answerGet(call, q, r, got, taken, packed);
                    return true;
                }

                @Override
                void expire() {
                    forget();
                    reply(call, GetResponse.getDefaultInstance());
                }

                @Override
                void fail(RuntimeException e) {
                    forget();
                    QueueService.fail(call, e);
                }

                private void forget() {
                    if (cancelKey != null) {
                        cancellableGets.remove(cancelKey, this);
                    }
                }
            };
            if (cancelKey != null) {
                cancellableGets.put(cancelKey, w);
                // Registered first, then checked: a CancelGet does the reverse, so one of the two
                // sees the other (see cancelGet).
                if (earlyCancels.remove(cancelKey) != null && cancellableGets.remove(cancelKey, w)) {
                    reply(call, GetResponse.getDefaultInstance());
                    return;
                }
            }
            call.setOnCancelHandler(() -> {
                w.cancel();
                if (cancelKey != null) {
                    cancellableGets.remove(cancelKey, w);
                }
            });
            r.room.await(w, wait);
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    /**
     * Puts back at the head of the queue (or of the subscriber's stream) the items a client took
     * and did not hand out: in their take order among given-back items when the call carries the
     * positions their Get answer had. Answers accepted; a retried call (same key) adds nothing again.
     */
    @Override
    public void returnItems(PutRequest req, StreamObserver<PutResponse> observer) {
        ServerCallStreamObserver<PutResponse> call = call(observer);
        try {
            HostedQueue q = hosted(req.getQueue());
            HostedQueue.Reader r = q.reader(req.getQueue().getSubscriber());
            List<byte[]> items = PackedItems.unpack(req.getBlock(), maxItemBytes).payloads();
            TakePositions positions = TakePositions.read(req.getFirstPosition(), req.getPositionsList(), items.size());
            if (req.hasKey()) {
                IdempotencyKey key = req.getKey();
                IdempotencyWindow.Outcome outcome = new IdempotencyWindow.Outcome();
                IdempotencyWindow.Outcome earlier = window.claim(key.getClientId(), key.getSequence(), outcome);
                if (earlier != null) {
                    earlier.whenComplete((ok, err) -> answerPut(call, ok, err, true));
                    return;
                }
                q.giveBack(r, items, positions);
                outcome.complete(true);
            } else {
                q.giveBack(r, items, positions);
            }
            LOG.atDebug().setMessage("items given back").addKeyValue("namespace", req.getQueue().getNamespace())
                    .addKeyValue("id", req.getQueue().getId()).addKeyValue("items", items.size()).log();
            reply(call, PutResponse.newBuilder().setAccepted(true).build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    private static String cancelKey(QueueRef ref, String callId) {
        return ref.getNamespace() + "/" + ref.getId() + "/" + callId;
    }

    @Override
    public void cancelGet(CancelGetRequest req, StreamObserver<CancelGetResponse> observer) {
        ServerCallStreamObserver<CancelGetResponse> call = call(observer);
        String key = cancelKey(req.getQueue(), req.getCallId());
        // The get may not have registered yet (its request is still on its way or being handled):
        // remember the cancellation for it first, then look for it.
        rememberEarlyCancel(key);
        WaitingRoom.Waiter w = cancellableGets.remove(key);
        if (w != null) {
            earlyCancels.remove(key);
            // Answers the get with no items, unless the dispatcher is serving it right now.
            w.timeOut();
        }
        reply(call, CancelGetResponse.newBuilder().setCancelled(w != null).build());
    }

    private void rememberEarlyCancel(String key) {
        long now = System.nanoTime();
        if (earlyCancels.size() >= MAX_EARLY_CANCELS) {
            earlyCancels.values().removeIf(at -> now - at > EARLY_CANCEL_MEMORY_NANOS);
            if (earlyCancels.size() >= MAX_EARLY_CANCELS) {
                // Flooded with cancels of calls that never come: drop the oldest memory at once.
                earlyCancels.clear();
            }
        }
        earlyCancels.put(key, now);
    }

    /** Forgets early cancellations whose get never arrived (called by the server's sweep). */
    void sweepEarlyCancels() {
        long now = System.nanoTime();
        earlyCancels.values().removeIf(at -> now - at > EARLY_CANCEL_MEMORY_NANOS);
    }

    @Override
    public void awaitNotEmpty(WaitRequest req, StreamObserver<WaitResponse> observer) {
        ServerCallStreamObserver<WaitResponse> call = (ServerCallStreamObserver<WaitResponse>) observer;
        try {
            HostedQueue q = hosted(req.getQueue());
            HostedQueue.Reader r = q.reader(req.getQueue().getSubscriber());
            long wait = waitNanos(req.getWaitNanos());
            if (r.size() > 0 || wait == 0) {
                call.setOnCancelHandler(() -> { });
                reply(call, WaitResponse.newBuilder().setReady(r.size() > 0).build());
                return;
            }
            WaitingRoom.Waiter w = new WaitingRoom.Waiter() {
                @Override
                boolean serve() {
                    if (r.size() == 0) {
                        return call.isCancelled();
                    }
                    reply(call, WaitResponse.newBuilder().setReady(true).build());
                    return true;
                }

                @Override
                void expire() {
                    reply(call, WaitResponse.newBuilder().setReady(false).build());
                }

                @Override
                void fail(RuntimeException e) {
                    QueueService.fail(call, e);
                }
            };
            call.setOnCancelHandler(w::cancel);
            r.room.await(w, wait);
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    @Override
    public void peek(QueueRequest req, StreamObserver<PeekResponse> observer) {
        ServerCallStreamObserver<PeekResponse> call = call(observer);
        try {
            HostedQueue q = hosted(req.getQueue());
            byte[] head = q.reader(req.getQueue().getSubscriber()).peek();
            reply(call, head == null ? PeekResponse.getDefaultInstance()
                    : PeekResponse.newBuilder().setPresent(true).setItem(ByteString.copyFrom(head)).build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    // ---- state

    @Override
    public void size(QueueRequest req, StreamObserver<SizeResponse> observer) {
        ServerCallStreamObserver<SizeResponse> call = call(observer);
        try {
            HostedQueue q = hosted(req.getQueue());
            reply(call, SizeResponse.newBuilder().setSize(q.reader(req.getQueue().getSubscriber()).size())
                    .build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    @Override
    public void clear(QueueRequest req, StreamObserver<ClearResponse> observer) {
        ServerCallStreamObserver<ClearResponse> call = call(observer);
        try {
            HostedQueue q = hosted(req.getQueue());
            int removed = q.reader(req.getQueue().getSubscriber()).clear();
            LOG.atInfo().setMessage("queue cleared").addKeyValue("namespace", req.getQueue().getNamespace())
                    .addKeyValue("id", req.getQueue().getId()).addKeyValue("removed", removed).log();
            reply(call, ClearResponse.newBuilder().setRemoved(removed).build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    @Override
    public void destroy(QueueRequest req, StreamObserver<DestroyResponse> observer) {
        ServerCallStreamObserver<DestroyResponse> call = call(observer);
        try {
            boolean existed = queues.destroy(req.getQueue().getNamespace(), req.getQueue().getId());
            reply(call, DestroyResponse.newBuilder().setExisted(existed).build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    @Override
    public void metrics(QueueRequest req, StreamObserver<MetricsResponse> observer) {
        ServerCallStreamObserver<MetricsResponse> call = call(observer);
        try {
            HostedQueue q = hosted(req.getQueue());
            QueueMetrics m = q.metrics(q.reader(req.getQueue().getSubscriber()));
            reply(call, MetricsResponse.newBuilder().setMetrics(toProto(m)).build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    @Override
    public void listQueues(ListQueuesRequest req, StreamObserver<ListQueuesResponse> observer) {
        ServerCallStreamObserver<ListQueuesResponse> call = call(observer);
        try {
            ListQueuesResponse.Builder b = ListQueuesResponse.newBuilder();
            for (HostedQueue q : queues.list(req.getNamespace())) {
                b.addQueues(QueueInfo.newBuilder().setNamespace(q.descriptor.namespace()).setId(q.descriptor.id())
                        .setServerType(q.serverType).setDescriptorJson(q.descriptor.toJson())
                        .setMetrics(toProto(q.metrics(q.reader(""))))).build();
            }
            reply(call, b.build());
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    // ---- subscribe

    @Override
    public void subscribe(SubscribeRequest req, StreamObserver<Delivery> observer) {
        ServerCallStreamObserver<Delivery> call = (ServerCallStreamObserver<Delivery>) observer;
        try {
            HostedQueue q = hosted(req.getQueue());
            HostedQueue.Reader r = q.reader(req.getQueue().getSubscriber());
            Subscription s = new Subscription(call, q, r);
            call.setOnCancelHandler(s::cancel);
            call.setOnReadyHandler(s::pump);
            LOG.atInfo().setMessage("subscription started").addKeyValue("namespace", req.getQueue().getNamespace())
                    .addKeyValue("id", req.getQueue().getId()).addKeyValue("subscriber",
                            req.getQueue().getSubscriber()).log();
            s.pump();
        } catch (RuntimeException e) {
            fail(call, e);
        }
    }

    /**
     * Pushes a reader's items down one stream, only while the transport is ready for more
     * ({@code isReady}), so a slow subscriber holds at most one flow-control window of items in
     * server memory; the rest stay in the queue. One pump runs at a time.
     */
    private final class Subscription {
        private final ServerCallStreamObserver<Delivery> call;
        private final HostedQueue queue;
        private final HostedQueue.Reader reader;
        private final AtomicInteger wip = new AtomicInteger();
        private volatile boolean over;
        private volatile WaitingRoom.Waiter wake;

        Subscription(ServerCallStreamObserver<Delivery> call, HostedQueue queue, HostedQueue.Reader reader) {
            this.call = call;
            this.queue = queue;
            this.reader = reader;
        }

        void cancel() {
            over = true;
            WaitingRoom.Waiter w = wake;
            if (w != null) {
                w.cancel();
            }
        }

        void pump() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            do {
                drain();
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }

        private void drain() {
            try {
                while (!over && call.isReady()) {
                    List<byte[]> items = take(queue, reader, 16, new TakePositions());
                    if (items.isEmpty()) {
                        armWake();
                        return;
                    }
                    for (byte[] item : items) {
                        call.onNext(Delivery.newBuilder().setPayload(ByteString.copyFrom(item)).build());
                    }
                }
            } catch (RuntimeException e) {
                over = true;
                fail(call, e);
            }
        }

        private void armWake() {
            WaitingRoom.Waiter w = new WaitingRoom.Waiter() {
                @Override
                boolean serve() {
                    if (over) {
                        return true;
                    }
                    if (reader.size() == 0) {
                        return false;
                    }
                    callExecutor.execute(Subscription.this::pump);
                    return true;
                }

                @Override
                void expire() {
                    if (!over) {
                        callExecutor.execute(Subscription.this::pump);
                    }
                }

                @Override
                void fail(RuntimeException e) {
                    over = true;
                    QueueService.fail(call, e);
                }
            };
            wake = w;
            reader.room.await(w, SUBSCRIPTION_REARM_NANOS);
        }
    }
}
