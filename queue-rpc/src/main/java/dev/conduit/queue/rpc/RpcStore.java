package dev.conduit.queue.rpc;

import com.google.protobuf.ByteString;
import dev.conduit.queue.Backpressure;
import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import com.google.common.util.concurrent.ListenableFuture;
import dev.conduit.queue.rpc.proto.CancelGetRequest;
import dev.conduit.queue.rpc.proto.GetRequest;
import dev.conduit.queue.rpc.proto.GetResponse;
import dev.conduit.queue.rpc.proto.IdempotencyKey;
import dev.conduit.queue.rpc.proto.Item;
import dev.conduit.queue.rpc.proto.Metrics;
import dev.conduit.queue.rpc.proto.OpenResponse;
import dev.conduit.queue.rpc.proto.PeekResponse;
import dev.conduit.queue.rpc.proto.PutRequest;
import dev.conduit.queue.rpc.proto.PutResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueRequest;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc.QueueServiceFutureStub;
import dev.conduit.queue.rpc.proto.SettlePutRequest;
import dev.conduit.queue.rpc.proto.SettlePutResponse;
import dev.conduit.queue.rpc.proto.WaitRequest;
import dev.conduit.queue.spi.AsyncSupport;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.QueueStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The client side of an {@code rpc} queue: each primitive is one call to the server, which holds
 * the items and does the waiting (a blocking get waits on the server, never by polling). A batch
 * ({@code putAll}, a transaction's commit, {@code getBatch}) is one message. Every put carries an
 * idempotency key (this handle's client id and a sequence number), so the retries this store makes
 * after a lost connection never add an item twice.
 *
 * <p>Long waits are split into calls of at most {@link #MAX_WAIT_PER_CALL_NANOS}, each with a
 * deadline, so no call hangs on a server that went away.
 *
 * <p><b>Prefetch.</b> With option {@code prefetch=N} a get asks the server for up to
 * {@code max(maxItems, N)} items, hands out what it was asked for and holds the rest; later gets
 * hand out held items first (a {@code getBatch(max)} that wants more than the handle holds also
 * takes, behind them, what the queue has now, without waiting). Held items are taken as far as the
 * server is concerned: other handles do not see them, and an item of higher priority that arrives
 * later comes after them. This handle's {@link #size()}, {@link #peek()} and {@link #metrics()}
 * count them as still queued. {@link #close()} and {@link #clear()} give them back to the server
 * (ReturnItems), at the head of the queue in their order; if that fails (server unreachable or
 * restarted) {@link #close()} throws and they are lost. The gets of a prefetching handle are
 * serialized: a get waits for another get of the same handle to end, within its own timeout.
 *
 * <p>Thread-safe.
 *
 * @param <T> the item type
 */
final class RpcStore<T> implements QueueStore<T> {
    /** The longest wait one call asks the server for. */
    static final long MAX_WAIT_PER_CALL_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Most items one pipelined batch of putAsync items carries (also at most the capacity). */
    static final int PIPELINE_MAX_BATCH_ITEMS = 1024;
    /** Most payload bytes one pipelined batch carries (well under the server's message limit). */
    static final long PIPELINE_MAX_BATCH_BYTES = 1L << 20;
    /**
     * How long close() waits for the server to settle a pipelined put in flight: SettlePut ends the
     * put's wait at once, so a live server answers in a round trip; past this the outcome is unknown.
     */
    static final long SETTLE_ON_CLOSE_MILLIS = 2_000;

    private final RemoteQueue remote;
    private final Codec<T> codec;
    private final String subscriber;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean destroyed;
    private final RemoteQueue.Scope scope = new RemoteQueue.Scope();
    private final PutPipeline pipeline;
    /** Option prefetch: the fewest items a get asks for; 0 for none. */
    private final int prefetch;

    // Prefetched items (option prefetch), guarded by takeLock.
    private final ReentrantLock takeLock = new ReentrantLock();
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private volatile int heldCount;
    private volatile long heldBytes;
    /** The bytes of the held items, as they change; {@link #heldBytes} publishes it. */
    private long heldBytesSum;

    /**
     * The gets a close ended before their answers came, until those answers are handled (their items
     * given back): close gives the held items back after them, so that they go back ahead of them.
     */
    private final Set<CompletableFuture<Void>> lateAnswers = ConcurrentHashMap.newKeySet();

    /**
     * An item taken from the server and not yet handed out: a slice of one answer's payloads, and
     * the take position the server gave it (0: none), which goes back with it.
     */
    private record Held(byte[] bytes, int offset, int length, long position) {
    }

    RpcStore(RemoteQueue remote, Codec<T> codec, String subscriber) {
        this.remote = remote;
        this.codec = codec;
        this.subscriber = subscriber;
        this.pipeline = subscriber.isEmpty() ? pipelineIfBlocking() : null;
        this.prefetch = remote.options.prefetch();
    }

    /**
     * Opens the queue on the server now, so a bad descriptor fails at open. An unreachable server is
     * tried once and left to the first call, which retries it for {@code reconnectMillis}: the
     * handle opens its store under a lock, so retrying here would make each thread that first uses
     * the handle wait for the retries of those before it.
     */
    void connect() {
        if (Thread.currentThread().isInterrupted()) {
            // Leave the open to the first call, which answers the interrupt as a blocking call should.
            return;
        }
        try {
            remote.tryOpen();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A call that does not wait (size, peek, clear, metrics): like its in-JVM counterparts it
     * ignores interrupts, which it leaves set for the caller.
     */
    private <R> R unary(String op, RemoteQueue.Attempt<R> attempt) {
        return unary(op, attempt, scope);
    }

    /** {@link #unary(String, RemoteQueue.Attempt)} on another scope than the handle's. */
    private <R> R unary(String op, RemoteQueue.Attempt<R> attempt, RemoteQueue.Scope callScope) {
        boolean interrupted = Thread.interrupted();
        try {
            for (;;) {
                try {
                    return remote.call(op, subscriber, 0, attempt, callScope);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public int capacity() {
        return this.<OpenResponse>unary("capacity", null).getCapacity();
    }

    private Item encode(T item, int priority, long maxItemBytes) {
        byte[] b = codec.encode(item);
        if (b.length > maxItemBytes) {
            throw new ItemTooLargeException("an item of " + b.length + " encoded bytes exceeds the limit of "
                    + maxItemBytes + " bytes of queue server " + remote.options.host() + ":" + remote.options.port());
        }
        return Item.newBuilder().setPayload(ByteString.copyFrom(b)).setPriority(priority).build();
    }

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        long limit = remote.info().getMaxItemBytes();
        return put("put", PutRequest.newBuilder().addItems(encode(item, priority, limit)).build(), timeoutNanos,
                false);
    }

    /**
     * Pipelines when the queue blocks when full: the item joins this handle's {@link PutPipeline}
     * and the caller does not wait for a round trip. Other policies (reject, drop oldest) decide at
     * once, so their put is one call that does not wait, whose refusal the server counts once.
     */
    @Override
    public CompletableFuture<Boolean> offerAsync(T item, int priority) {
        if (pipeline == null) {
            if (blocksWhenFull()) {
                return QueueStore.super.offerAsync(item, priority); // a subscriber's handle: no pipeline
            }
            try {
                return CompletableFuture.completedFuture(tryOffer(item, priority));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        try {
            return pipeline.add(pack(List.of(item), new int[] {priority}));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Pipelines like {@link #offerAsync} when the queue blocks when full: the batch joins this
     * handle's {@link PutPipeline} as one entry, so it travels whole in one PutBatch (possibly with
     * entries given before and after it), and the caller does not wait for a round trip. Other
     * policies decide at once, as for {@link #offerAsync}: one {@code offerAll} that does not wait.
     */
    @Override
    public CompletableFuture<Boolean> offerAllAsync(List<? extends T> items, int[] priorities) {
        if (pipeline == null) {
            if (blocksWhenFull()) {
                return QueueStore.super.offerAllAsync(items, priorities); // a subscriber's handle: no pipeline
            }
            try {
                return CompletableFuture.completedFuture(offerAll(items, priorities, 0));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(e);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        try {
            return pipeline.add(pack(items, priorities));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Whether the queue's policy makes a put wait for room (BLOCK) rather than decide at once. */
    private boolean blocksWhenFull() {
        return Backpressure.parse(remote.descriptor.option("backpressure", null)) == Backpressure.BLOCK;
    }

    private PutPipeline pipelineIfBlocking() {
        if (!blocksWhenFull()) {
            return null;
        }
        return new PutPipeline((batch, key) -> put("putAsync", PutRequest.newBuilder().setBlock(batch.toProto())
                .build(), Deadline.FOREVER, true, key), AsyncSupport.executor(),
                () -> Math.min(PIPELINE_MAX_BATCH_ITEMS, capacity()), PIPELINE_MAX_BATCH_BYTES, this::newKey,
                () -> new QueueClosedException("queue handle " + remote.descriptor.qualifiedName() + " is closed"));
    }

    private IdempotencyKey newKey() {
        return IdempotencyKey.newBuilder().setClientId(remote.clientId()).setSequence(remote.nextSequence()).build();
    }

    private PackedItems pack(List<? extends T> items, int[] priorities) throws InterruptedException {
        return PackedItems.encode(codec, items, priorities, remote.info().getMaxItemBytes(),
                remote.options.host() + ":" + remote.options.port());
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos) throws InterruptedException {
        return putBatch("putAll", pack(items, priorities), timeoutNanos);
    }

    /** Sends a batch in packed form as one PutBatch (atomic, idempotent). */
    private boolean putBatch(String op, PackedItems items, long timeoutNanos) throws InterruptedException {
        return put(op, PutRequest.newBuilder().setBlock(items.toProto()).build(), timeoutNanos, true);
    }

    /**
     * Sends a put and waits for its answer, retrying with the same idempotency key while the server
     * is unreachable, and settling it truthfully if the caller is interrupted.
     *
     * @param body the request's items (or block); the rest is filled in per attempt
     */
    private boolean put(String op, PutRequest body, long timeoutNanos, boolean batch) throws InterruptedException {
        return put(op, body, timeoutNanos, batch, newKey());
    }

    private boolean put(String op, PutRequest body, long timeoutNanos, boolean batch, IdempotencyKey key)
            throws InterruptedException {
        // The put keeps the channel until it knows its outcome, even if its handle closes meanwhile.
        if (!remote.tryRetain()) {
            throw new QueueClosedException("queue handle " + remote.descriptor.qualifiedName() + " is closed");
        }
        try {
            return settledPut(op, body, timeoutNanos, batch, key);
        } finally {
            remote.release();
        }
    }

    private boolean settledPut(String op, PutRequest body, long timeoutNanos, boolean batch, IdempotencyKey key)
            throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        AtomicBoolean sent = new AtomicBoolean();
        for (;;) {
            long wait = Math.min(Deadline.remaining(deadline), MAX_WAIT_PER_CALL_NANOS);
            PutResponse r;
            try {
                r = remote.call(op, "", wait, (stub, ref) -> {
                    sent.set(true);
                    PutRequest req = body.toBuilder().setQueue(ref).setWaitNanos(wait).setKey(key).build();
                    return batch ? stub.putBatch(req) : stub.put(req);
                }, scope);
            } catch (InterruptedException e) {
                if (sent.get() && settle(key)) {
                    // The server applied the put before it learnt of the interrupt: report the truth.
                    Thread.currentThread().interrupt();
                    return true;
                }
                throw e;
            } catch (QueueClosedException e) {
                if (!sent.get() || !closed.get() || e instanceof ServerRestartedException) {
                    throw e;
                }
                // This handle closed under the put: the server may have applied it as the
                // cancellation travelled. Settle it, as for an interrupt, so the caller hears the truth.
                Boolean applied = settleOnClose(key);
                if (applied == null) {
                    throw new QueueClosedException("queue handle " + remote.descriptor.qualifiedName() + " was closed "
                            + "while a put waited on the server, which did not say within " + SETTLE_ON_CLOSE_MILLIS
                            + " ms whether it applied it: the outcome is unknown (key " + key.getClientId() + "/"
                            + key.getSequence() + ")", e);
                }
                if (applied) {
                    return true;
                }
                throw e;
            }
            if (r.getAccepted() || Deadline.remaining(deadline) == 0) {
                return r.getAccepted();
            }
        }
    }

    /**
     * Settles a put whose caller was interrupted after sending it: asks the server whether it was
     * applied, and makes sure that if it was not, it never will be.
     *
     * @return true if the put was applied
     */
    private boolean settle(IdempotencyKey key) {
        return settle(key, scope);
    }

    private boolean settle(IdempotencyKey key, RemoteQueue.Scope callScope) {
        SettlePutResponse r = unary("settlePut", (stub, ref) -> stub.settlePut(
                SettlePutRequest.newBuilder().setQueue(ref).setKey(key).build()), callScope);
        return r.getApplied();
    }

    /**
     * Settles a pipelined put whose handle is being closed, within {@link #SETTLE_ON_CLOSE_MILLIS}:
     * on a scope of its own (the handle's is closed), and ignoring interrupts (close must finish).
     *
     * @return whether the put was applied, or null if the server did not answer in time
     */
    private Boolean settleOnClose(IdempotencyKey key) {
        RemoteQueue.Scope bounded = new RemoteQueue.Scope();
        CompletableFuture.delayedExecutor(SETTLE_ON_CLOSE_MILLIS, TimeUnit.MILLISECONDS).execute(bounded::close);
        try {
            return settle(key, bounded);
        } catch (RuntimeException e) {
            // Unreachable, restarted, or no answer within the bound (the bounded scope closed).
            return null;
        } finally {
            bounded.close();
        }
    }

    /**
     * Takes up to {@code maxItems} items, waiting on the server until {@code deadline} for the first.
     *
     * @return the answer: no items when none came in time
     * @throws InterruptedException if interrupted while the server took nothing for the call
     */
    private GetResponse fetch(int maxItems, long deadline) throws InterruptedException {
        for (;;) {
            long wait = Math.min(Deadline.remaining(deadline), MAX_WAIT_PER_CALL_NANOS);
            String callId = remote.clientId() + "/" + remote.nextSequence();
            GetResponse r = remote.call("get", subscriber, wait, new RemoteQueue.Attempt<GetResponse>() {
                @Override
                public ListenableFuture<GetResponse> start(QueueServiceFutureStub stub, QueueRef ref) {
                    return stub.get(GetRequest.newBuilder().setQueue(ref).setMaxItems(maxItems).setWaitNanos(wait)
                            .setCallId(callId).setPacked(true).build());
                }

                @Override
                public boolean takesItems() {
                    return true;
                }

                @Override
                public ListenableFuture<?> endEarly(QueueServiceFutureStub stub, QueueRef ref) {
                    return stub.cancelGet(CancelGetRequest.newBuilder().setQueue(ref).setCallId(callId).build());
                }

                private final CompletableFuture<Void> handled = new CompletableFuture<>();

                @Override
                public void abandoning() {
                    lateAnswers.add(handled);
                }

                @Override
                public void abandoned(GetResponse answer) {
                    try {
                        if (answer != null) {
                            giveBackUnclaimed(answer);
                        }
                    } finally {
                        lateAnswers.remove(handled);
                        handled.complete(null);
                    }
                }
            }, scope);
            int count = r.getItemsCount() + r.getBlock().getLengthsCount();
            if (count == 0 && Thread.interrupted()) {
                // Interrupted and the server took nothing for this call.
                throw new InterruptedException();
            }
            if (count > 0 || Deadline.remaining(deadline) == 0) {
                return r;
            }
        }
    }

    /**
     * Gives back to the server, at the head of the queue, the items of an answer that came after its
     * get ended (the handle closed first), in one ReturnItems call with the answer's take positions:
     * the server puts them in its take order among given-back items, whichever late answer comes first.
     *
     * @throws QueueException if the server could not take them back: they are lost
     */
    private void giveBackUnclaimed(GetResponse answer) {
        List<byte[]> items = new ArrayList<>();
        if (answer.getBlock().getLengthsCount() > 0) {
            byte[] all = answer.getBlock().getPayloads().toByteArray();
            int pos = 0;
            for (int len : answer.getBlock().getLengthsList()) {
                items.add(Arrays.copyOfRange(all, pos, pos + len));
                pos += len;
            }
        } else {
            for (ByteString b : answer.getItemsList()) {
                items.add(b.toByteArray());
            }
        }
        if (items.isEmpty()) {
            return;
        }
        PutRequest body = PutRequest.newBuilder().setBlock(PackedItems.pack(items).toBuilder()
                .addPriorities(MessageQueue.DEFAULT_PRIORITY)).setKey(newKey())
                .setFirstPosition(answer.getFirstPosition()).addAllPositions(answer.getPositionsList()).build();
        try {
            remote.call("returnItems", subscriber, 0, (stub, ref) -> stub.returnItems(body.toBuilder().setQueue(ref)
                    .build()), new RemoteQueue.Scope());
        } catch (InterruptedException | RuntimeException e) {
            throw new QueueException(items.size() + " items that the server took for a get of handle "
                    + remote.descriptor.qualifiedName() + " as it closed could not be given back and are lost: "
                    + e.getMessage(), e);
        }
    }

    private List<T> get(int maxItems, long timeoutNanos) throws InterruptedException {
        GetResponse r = fetch(maxItems, Deadline.deadline(timeoutNanos));
        if (r.getBlock().getLengthsCount() > 0) {
            return PackedItems.decode(r.getBlock(), codec);
        }
        // A server that does not pack answers one message per item.
        List<T> out = new ArrayList<>(r.getItemsCount());
        for (ByteString b : r.getItemsList()) {
            out.add(codec.decode(b.asReadOnlyByteBuffer()));
        }
        return out;
    }

    /**
     * A get of a prefetching handle: hands out held items first, fetching {@code max(maxItems,
     * prefetch)} when it holds none (waiting) and topping up without waiting when it holds fewer
     * than {@code maxItems}. An item the codec refuses is not lost silently and takes no other item
     * with it: the items before it are handed out and it stays first, so the next get reports it;
     * if it is the first, the get throws the codec's exception and the item is consumed.
     */
    private int takePrefetched(Collection<? super T> sink, int maxItems, long timeoutNanos)
            throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        if (!takeLock.tryLock(Deadline.remaining(deadline), TimeUnit.NANOSECONDS)) {
            return 0;
        }
        try {
            if (closed.get()) {
                throw new QueueClosedException("queue handle " + remote.descriptor.qualifiedName() + " is closed");
            }
            if (held.isEmpty()) {
                hold(fetch(Math.max(maxItems, prefetch), deadline));
            } else if (held.size() < maxItems) {
                // The held items were ahead of what the queue has now: it comes behind them.
                hold(fetch(Math.max(maxItems - held.size(), prefetch), Deadline.deadline(0)));
            }
            int n = 0;
            while (n < maxItems && !held.isEmpty()) {
                Held h = held.pollFirst();
                heldBytesSum -= h.length();
                T item;
                try {
                    item = codec.decode(h.bytes(), h.offset(), h.length());
                } catch (RuntimeException e) {
                    if (n == 0) {
                        throw e;
                    }
                    held.addFirst(h);
                    heldBytesSum += h.length();
                    break;
                }
                sink.add(item);
                n++;
            }
            return n;
        } finally {
            noteHeld();
            takeLock.unlock();
        }
    }

    /** Keeps an answer's items, behind those held. Caller holds takeLock. */
    private void hold(GetResponse r) {
        TakePositions positions = TakePositions.read(r.getFirstPosition(), r.getPositionsList(),
                r.getItemsCount() + r.getBlock().getLengthsCount());
        int i = 0;
        if (r.getBlock().getLengthsCount() > 0) {
            byte[] all = r.getBlock().getPayloads().toByteArray();
            int pos = 0;
            for (int len : r.getBlock().getLengthsList()) {
                held.addLast(new Held(all, pos, len, positions.at(i++)));
                heldBytesSum += len;
                pos += len;
            }
        } else {
            for (ByteString b : r.getItemsList()) {
                byte[] one = b.toByteArray();
                held.addLast(new Held(one, 0, one.length, positions.at(i++)));
                heldBytesSum += one.length;
            }
        }
    }

    /** Publishes how many items and bytes the handle holds, for size() and metrics(). Caller holds takeLock. */
    private void noteHeld() {
        heldBytes = heldBytesSum;
        heldCount = held.size();
    }

    /**
     * Gives the held items back to the server, at the head of the queue in their order: in calls of
     * at most {@link #PIPELINE_MAX_BATCH_BYTES} (or one item), the last part first, each retried
     * through interrupts (its idempotency key makes a retry harmless). Caller holds takeLock.
     *
     * @throws QueueException if the server could not take them back: those not given back are lost
     */
    private void giveBackHeld() {
        boolean interrupted = Thread.interrupted();
        try {
            while (!held.isEmpty()) {
                List<byte[]> part = new ArrayList<>();
                List<Held> slices = new ArrayList<>();
                long bytes = 0;
                for (var it = held.descendingIterator(); it.hasNext(); ) {
                    Held h = it.next();
                    if (!part.isEmpty() && bytes + h.length() > PIPELINE_MAX_BATCH_BYTES) {
                        break;
                    }
                    part.add(Arrays.copyOfRange(h.bytes(), h.offset(), h.offset() + h.length()));
                    slices.add(h);
                    bytes += h.length();
                }
                Collections.reverse(part);
                Collections.reverse(slices);
                TakePositions positions = new TakePositions();
                for (Held h : slices) {
                    positions.add(h.position());
                }
                interrupted |= giveBack(part, positions);
                for (int i = 0; i < part.size(); i++) {
                    heldBytesSum -= held.pollLast().length();
                }
            }
        } finally {
            noteHeld();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits, through interrupts, until the answers of the gets a close ended without them are
     * handled: at most {@link RemoteQueue.Scope#END_GENTLY_NANOS} (after which such a call is cut
     * off) plus the call timeout (for giving their items back).
     */
    private void awaitLateAnswers() {
        boolean interrupted = false;
        long deadline = Deadline.deadline(RemoteQueue.Scope.END_GENTLY_NANOS + remote.options.callTimeout().toNanos());
        try {
            for (CompletableFuture<Void> late : List.copyOf(lateAnswers)) {
                for (;;) {
                    try {
                        late.get(Deadline.remaining(deadline), TimeUnit.NANOSECONDS);
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException | TimeoutException e) {
                        break;
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * One ReturnItems call, retried through interrupts.
     *
     * @return whether the calling thread was interrupted meanwhile (the caller restores the flag)
     * @throws QueueException if the server could not take them back; the held items are dropped
     */
    private boolean giveBack(List<byte[]> items, TakePositions positions) {
        PutRequest.Builder b = PutRequest.newBuilder().setBlock(PackedItems.pack(items).toBuilder()
                .addPriorities(MessageQueue.DEFAULT_PRIORITY)).setKey(IdempotencyKey.newBuilder()
                .setClientId(remote.clientId()).setSequence(remote.nextSequence()));
        positions.writeTo(b::setFirstPosition, b::addPositions);
        PutRequest body = b.build();
        boolean interrupted = false;
        for (;;) {
            try {
                // A scope of its own: close() has ended this handle's.
                remote.call("returnItems", subscriber, 0,
                        (stub, ref) -> stub.returnItems(body.toBuilder().setQueue(ref).build()),
                        new RemoteQueue.Scope());
                return interrupted;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (RuntimeException e) {
                // QueueException from the server or the call loop; UnsupportedOperationException from
                // a server older than ReturnItems.
                int lost = held.size();
                held.clear();
                heldBytesSum = 0;
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                throw new QueueException(lost + " items that handle " + remote.descriptor.qualifiedName()
                        + " had prefetched could not be given back to the server and are lost: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public T poll(long timeoutNanos) throws InterruptedException {
        if (prefetch > 0) {
            List<T> one = new ArrayList<>(1);
            return takePrefetched(one, 1, timeoutNanos) == 0 ? null : one.get(0);
        }
        List<T> got = get(1, timeoutNanos);
        return got.isEmpty() ? null : got.get(0);
    }

    @Override
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        if (prefetch > 0) {
            return takePrefetched(sink, maxItems, timeoutNanos);
        }
        List<T> got = get(maxItems, timeoutNanos);
        sink.addAll(got);
        return got.size();
    }

    @Override
    public T peek() {
        if (heldCount > 0) {
            takeLock.lock();
            try {
                Held h = held.peekFirst();
                if (h != null) {
                    return codec.decode(h.bytes(), h.offset(), h.length());
                }
            } finally {
                takeLock.unlock();
            }
        }
        PeekResponse r = unary("peek", (stub, ref) -> stub.peek(QueueRequest.newBuilder().setQueue(ref).build()));
        return r.getPresent() ? codec.decode(r.getItem().asReadOnlyByteBuffer()) : null;
    }

    @Override
    public int size() {
        return unary("size", (stub, ref) -> stub.size(QueueRequest.newBuilder().setQueue(ref).build())).getSize()
                + heldCount;
    }

    @Override
    public int clear() {
        if (heldCount == 0) {
            return unary("clear", (stub, ref) -> stub.clear(QueueRequest.newBuilder().setQueue(ref).build()))
                    .getRemoved();
        }
        takeLock.lock();
        try {
            // Held items go back first, so the server's clear removes (and counts) them with the rest.
            giveBackHeld();
            return unary("clear", (stub, ref) -> stub.clear(QueueRequest.newBuilder().setQueue(ref).build()))
                    .getRemoved();
        } finally {
            takeLock.unlock();
        }
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        if (heldCount > 0) {
            return true;
        }
        long deadline = Deadline.deadline(timeoutNanos);
        for (;;) {
            long wait = Math.min(Deadline.remaining(deadline), MAX_WAIT_PER_CALL_NANOS);
            boolean ready = remote.call("awaitNotEmpty", subscriber, wait, (stub, ref) -> stub.awaitNotEmpty(
                    WaitRequest.newBuilder().setQueue(ref).setWaitNanos(wait).build()), scope).getReady();
            if (ready || Deadline.remaining(deadline) == 0) {
                return ready;
            }
        }
    }

    @Override
    public QueueMetrics metrics() {
        Metrics m = unary("metrics", (stub, ref) -> stub.metrics(QueueRequest.newBuilder().setQueue(ref).build()))
                .getMetrics();
        // Items this handle prefetched and has not handed out are still queued, as its size() says.
        int n = heldCount;
        long bytes = heldBytes;
        return new QueueMetrics(m.getSize() + n, m.getCapacity(), m.getPuts(), m.getGets() - n, m.getRejected(),
                m.getDropped(), m.getWaits(), m.getBytesIn(), m.getBytesOut() - bytes, m.getMaxItemBytes(),
                m.getCleared());
    }

    @Override
    public Set<Capability> capabilities() {
        OpenResponse info = this.<OpenResponse>unary("capabilities", null);
        return RemoteQueue.capabilities(info);
    }

    @Override
    public QueueStore<T> subscriber(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a subscriber name must not be empty");
        }
        if (!capabilities().contains(Capability.BROADCAST)) {
            throw new UnsupportedOperationException("queue " + remote.descriptor.qualifiedName() + " has no "
                    + "BROADCAST capability: create it with option broadcast=true to have subscribers");
        }
        RpcStore<T> sub = new RpcStore<>(remote.retain(), codec, name);
        // Touch the subscriber so the server creates it now: it sees every item put from here on.
        try {
            sub.size();
        } catch (RuntimeException e) {
            sub.close();
            throw e;
        }
        return sub;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            // The pipelined batch waiting on the server is settled, not just cancelled: the server
            // may apply it as the cancellation travels, and its futures must say what it did.
            Runnable settlePipeline = pipeline == null ? () -> { } : pipeline.close(this::settleOnClose,
                    key -> new QueueClosedException("queue handle " + remote.descriptor.qualifiedName() + " was "
                            + "closed while a putAsync/putAllAsync waited on the server, which did not say within "
                            + SETTLE_ON_CLOSE_MILLIS + " ms whether it applied it: the outcome is unknown (key "
                            + key.getClientId() + "/" + key.getSequence() + ")"));
            // Ends this handle's calls in flight first: a get waiting on the server lets go of takeLock.
            scope.close();
            settlePipeline.run();
            if (prefetch == 0) {
                remote.release();
                return;
            }
            takeLock.lock();
            try {
                if (!destroyed) {
                    // A late answer was taken by the server after the held items: its items go back
                    // to the head first, so that the held ones go back ahead of them.
                    awaitLateAnswers();
                    giveBackHeld();
                }
            } finally {
                held.clear();
                heldBytesSum = 0;
                noteHeld();
                takeLock.unlock();
                remote.release();
            }
        }
    }

    @Override
    public void destroy() {
        try {
            unary("destroy", (stub, ref) -> stub.destroy(QueueRequest.newBuilder().setQueue(ref).build()));
        } finally {
            // Giving held items back would open the queue again.
            destroyed = true;
            close();
        }
    }
}
