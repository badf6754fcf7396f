package dev.conduit.queue.spi;

import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.Transaction;
import dev.conduit.queue.codec.Codec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Supplier;

/**
 * The one implementation of {@link MessageQueue}: argument checks, exceptions, transactions,
 * async calls and views, built on a backend's {@link QueueStore}. The store is found and opened on
 * the first operation (descriptors open lazily).
 *
 * <p>Thread-safe.
 *
 * @param <T> the item type
 */
public final class StoreQueue<T> implements MessageQueue<T> {
    private final QueueDescriptor descriptor;
    private final Supplier<QueueStore<T>> opener;
    private final Object openLock = new Object();
    private volatile QueueStore<T> store;
    private volatile boolean closed;
    /** What {@link #close()} and {@link #destroy()} run once closed: see {@link #addCloseHook}. */
    private final Set<Runnable> closeHooks = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * This handle's async puts that wait on {@link AsyncSupport}'s threads or are queued behind one
     * ({@link #laneActive} plus {@link #laneQueue}'s size): while it is not 0, a new async put
     * queues behind them instead of trying at once, so that one producer's async puts keep their
     * call order. Written under {@link #laneLock}; read without it on every async put.
     */
    private volatile int lanePuts;
    private final Object laneLock = new Object();
    /** Async puts waiting on the async threads (more than one only if several threads raced). Guarded by laneLock. */
    private int laneActive;
    /** Async puts queued behind the active ones, in call order; created on first use. Guarded by laneLock. */
    private java.util.ArrayDeque<PendingPut> laneQueue;

    /**
     * A lazy handle on the queue a descriptor names, opened through the backend registry.
     *
     * @param descriptor the queue
     * @param codec the item codec
     */
    public StoreQueue(QueueDescriptor descriptor, Codec<T> codec) {
        this(descriptor, () -> BackendRegistry.getDefault().backendFor(descriptor.type()).open(descriptor, codec));
    }

    /**
     * A lazy handle whose store comes from {@code opener} on first use.
     *
     * @param descriptor the queue
     * @param opener opens the store; called at most once successfully
     */
    public StoreQueue(QueueDescriptor descriptor, Supplier<QueueStore<T>> opener) {
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    /**
     * An open handle on a store that exists already (a broadcast subscriber, say).
     *
     * @param descriptor the queue
     * @param store the store
     * @param <T> the item type
     * @return the handle
     */
    public static <T> StoreQueue<T> of(QueueDescriptor descriptor, QueueStore<T> store) {
        StoreQueue<T> q = new StoreQueue<>(descriptor, () -> store);
        q.store = store;
        return q;
    }

    private QueueStore<T> store() {
        QueueStore<T> s = store;
        if (s != null && !closed) {
            return s;
        }
        return openStore();
    }

    private QueueStore<T> openStore() {
        synchronized (openLock) {
            if (closed) {
                throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
            }
            QueueStore<T> s = store;
            if (s == null) {
                s = Objects.requireNonNull(opener.get(), "backend returned no store");
                store = s;
            }
            return s;
        }
    }

    private static void checkPriority(int priority) {
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority must be 0-255, not " + priority);
        }
    }

    private static <T> T checkItem(T item) {
        return Objects.requireNonNull(item, "item must not be null");
    }

    private QueueFullException full(long timeoutNanos) {
        return new QueueFullException("queue " + descriptor.qualifiedName() + " is full (capacity "
                + capacity() + ")" + (timeoutNanos > 0 ? " and stayed full for the whole timeout" : ""));
    }

    private QueueEmptyException empty(long timeoutNanos) {
        return new QueueEmptyException("queue " + descriptor.qualifiedName() + " is empty"
                + (timeoutNanos > 0 ? " and no item arrived within the timeout" : ""));
    }

    // ---- puts

    private void doPut(T item, int priority, long timeoutNanos) throws InterruptedException {
        checkItem(item);
        checkPriority(priority);
        if (!store().offer(item, priority, timeoutNanos)) {
            throw full(timeoutNanos);
        }
    }

    @Override
    public void put(T item) throws InterruptedException {
        doPut(item, DEFAULT_PRIORITY, Deadline.FOREVER);
    }

    @Override
    public void put(T item, Duration timeout) throws InterruptedException {
        doPut(item, DEFAULT_PRIORITY, Deadline.toNanos(timeout));
    }

    @Override
    public void put(T item, int priority) throws InterruptedException {
        doPut(item, priority, Deadline.FOREVER);
    }

    @Override
    public void put(T item, int priority, Duration timeout) throws InterruptedException {
        doPut(item, priority, Deadline.toNanos(timeout));
    }

    @Override
    public void putNowait(T item) {
        checkItem(item);
        if (!offerNow(item)) {
            throw full(0);
        }
    }

    @Override
    public boolean offer(T item) {
        checkItem(item);
        return offerNow(item);
    }

    private boolean offerNow(T item) {
        return store().tryOffer(item, DEFAULT_PRIORITY);
    }

    @Override
    public void putAll(List<? extends T> items) throws InterruptedException {
        putAll(items, DEFAULT_PRIORITY, Duration.ofNanos(Deadline.FOREVER));
    }

    @Override
    public void putAll(List<? extends T> items, int priority, Duration timeout) throws InterruptedException {
        checkPriority(priority);
        // Sized from the copy: a list another thread appends to can grow between two reads of it,
        // and a store given fewer priorities than items fails after claiming room (priority: for ever).
        List<T> copy = List.copyOf(items);
        int[] priorities = new int[copy.size()];
        Arrays.fill(priorities, priority);
        commitBatch(copy, priorities, Deadline.toNanos(timeout));
    }

    /**
     * Adds a checked batch atomically; shared by {@link #putAll} and transactions.
     *
     * @param items the items (copied, none null)
     * @param priorities one per item, each 0–255
     * @param timeoutNanos the longest wait
     * @throws InterruptedException if interrupted
     */
    void commitBatch(List<? extends T> items, int[] priorities, long timeoutNanos) throws InterruptedException {
        if (items.isEmpty()) {
            return;
        }
        QueueStore<T> s = store();
        if (items.size() > s.capacity()) {
            throw new IllegalArgumentException("a batch of " + items.size() + " items can never fit queue "
                    + descriptor.qualifiedName() + " of capacity " + s.capacity());
        }
        if (!s.offerAll(items, priorities, timeoutNanos)) {
            throw full(timeoutNanos);
        }
    }

    // ---- gets

    @Override
    public T get() throws InterruptedException {
        return doGet(Deadline.FOREVER);
    }

    @Override
    public T get(Duration timeout) throws InterruptedException {
        return doGet(Deadline.toNanos(timeout));
    }

    private T doGet(long timeoutNanos) throws InterruptedException {
        T item = store().poll(timeoutNanos);
        if (item == null) {
            throw empty(timeoutNanos);
        }
        return item;
    }

    @Override
    public T getNowait() {
        return poll().orElseThrow(() -> empty(0));
    }

    @Override
    public Optional<T> poll() {
        return Optional.ofNullable(pollOrNull());
    }

    /** {@link #poll()} without the {@code Optional}, for {@link BlockingQueueView}: the item or null. */
    T pollOrNull() {
        return store().tryPoll();
    }

    /**
     * {@link #get(Duration)} that answers a timeout with null instead of {@link QueueEmptyException},
     * for {@link BlockingQueueView}'s timed poll.
     *
     * @param timeoutNanos the longest wait; 0 or less does not wait
     * @return the item, or null if none arrived in time
     * @throws InterruptedException if interrupted while waiting
     */
    T pollOrNull(long timeoutNanos) throws InterruptedException {
        return store().poll(Math.max(0, timeoutNanos));
    }

    @Override
    public List<T> getBatch(int maxItems, Duration timeout) throws InterruptedException {
        if (maxItems < 1) {
            throw new IllegalArgumentException("maxItems must be at least 1, not " + maxItems);
        }
        // Small at first: a consumer that keeps up takes a few items per call, and an array sized for
        // maxItems (zeroed on allocation) cost it more than the items (shm: 245 ns per one-item
        // batch of up to 1000, 57 ns like this); a large batch grows the list a few times instead.
        List<T> out = new ArrayList<>(Math.min(maxItems, 16));
        store().drainTo(out, maxItems, Deadline.toNanos(timeout));
        return out;
    }

    @Override
    public Optional<T> peek() {
        return Optional.ofNullable(peekOrNull());
    }

    /** {@link #peek()} without the {@code Optional}, for {@link BlockingQueueView}: the head or null. */
    T peekOrNull() {
        return store().peek();
    }

    // ---- transactions and async

    @Override
    public Transaction<T> beginTransaction() {
        return new BufferedTransaction<>(this);
    }

    @Override
    public void transaction(TransactionBody<T> body) throws InterruptedException {
        Objects.requireNonNull(body, "body");
        try (Transaction<T> tx = beginTransaction()) {
            try {
                body.run(tx);
            } catch (InterruptedException | RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                // A body that committed before failing has put its items: saying otherwise invites a retry
                // that adds them twice.
                throw new java.util.concurrent.CompletionException(tx.isCommitted()
                        ? "transaction body failed after it committed; its items were put"
                        : "transaction body failed; nothing was put", e);
            }
            // A body may commit itself; a second commit would throw after its items went in.
            if (!tx.isCommitted()) {
                tx.commit();
            }
        }
    }

    @Override
    public CompletableFuture<Void> putAsync(T item) {
        checkItem(item);
        if (lanePuts != 0) {
            return queuedBehind(s -> s.offerAsync(item, DEFAULT_PRIORITY));
        }
        CompletableFuture<Boolean> added;
        try {
            added = store().offerAsync(item, DEFAULT_PRIORITY);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return acknowledged(added);
    }

    /**
     * Adds a batch atomically without blocking the caller, through the store's
     * {@link QueueStore#offerAllAsync} (which a remote backend pipelines).
     *
     * @param items the items, none null; at most the capacity
     * @return completes when all items are queued, or exceptionally with the put's exception
     * @throws NullPointerException if an item is null (nothing was put)
     * @throws IllegalArgumentException if there are more items than the capacity (nothing was put)
     */
    @Override
    public CompletableFuture<Void> putAllAsync(List<? extends T> items) {
        List<T> copy = List.copyOf(items);
        if (copy.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        QueueStore<T> s;
        int capacity;
        try {
            s = store();
            capacity = s.capacity();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (copy.size() > capacity) {
            throw new IllegalArgumentException("a batch of " + copy.size() + " items can never fit queue "
                    + descriptor.qualifiedName() + " of capacity " + capacity);
        }
        int[] priorities = new int[copy.size()];
        Arrays.fill(priorities, DEFAULT_PRIORITY);
        if (lanePuts != 0) {
            return queuedBehind(st -> st.offerAllAsync(copy, priorities));
        }
        CompletableFuture<Boolean> added;
        try {
            added = s.offerAllAsync(copy, priorities);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return acknowledged(added);
    }

    private CompletableFuture<Void> acknowledged(CompletableFuture<Boolean> added) {
        PendingPut out = new PendingPut(added);
        if (waitsOnAsyncThreads(added)) {
            joinLane();
            added.whenComplete((ok, err) -> endedInLane(out, ok, err));
        } else {
            added.whenComplete(out::settle);
        }
        return out;
    }

    // ---- the lane: one handle's async puts in call order

    /**
     * Whether a store's async put went to wait on {@link AsyncSupport}'s threads, where a later try
     * on the caller's thread could overtake it. A store that pipelines (rpc) answers with futures of
     * its own and keeps their order itself.
     */
    private static boolean waitsOnAsyncThreads(CompletableFuture<Boolean> added) {
        return AsyncSupport.cancelWithdraws(added) && !added.isDone();
    }

    /**
     * Counts a put that waits on the async threads; the caller runs {@link #endedInLane} when
     * it ends, and the puts queued behind it go.
     */
    private void joinLane() {
        synchronized (laneLock) {
            laneActive++;
            lanePuts++;
        }
    }

    /** An async put made while others of this handle wait: it goes once they have ended, in call order. */
    private CompletableFuture<Void> queuedBehind(java.util.function.Function<QueueStore<T>,
            CompletableFuture<Boolean>> put) {
        try {
            store(); // a closed handle fails now, as a put that tries at once does
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        PendingPut out = new PendingPut(put);
        boolean goesNow;
        synchronized (laneLock) {
            goesNow = laneActive == 0 && (laneQueue == null || laneQueue.isEmpty());
            if (goesNow) {
                out.laneState = PendingPut.STARTING; // the lane emptied since lanePuts was read
                laneActive++;
            } else {
                if (laneQueue == null) {
                    laneQueue = new java.util.ArrayDeque<>();
                }
                laneQueue.add(out);
            }
            lanePuts++;
        }
        if (goesNow) {
            runLane(out);
        }
        return out;
    }

    /**
     * An active put that waited on the async threads ended: in one stage, the lane count drops,
     * then its future completes, then the puts queued behind it go. With the count dropped later, a
     * putAsync made as the future completes would queue behind a put that had ended; with the
     * queued puts started first, a later put's future could complete before this one's.
     */
    private void endedInLane(PendingPut p, Boolean ok, Throwable err) {
        PendingPut next;
        synchronized (laneLock) {
            laneActive--;
            lanePuts--;
            next = nextInLaneLocked();
        }
        try {
            p.settle(ok, err);
        } finally {
            if (next != null) {
                runLane(next);
            }
        }
    }

    /** The head of the queue, made active, once no put is active. Called holding laneLock. */
    private PendingPut nextInLaneLocked() {
        if (laneActive != 0 || laneQueue == null) {
            return null;
        }
        PendingPut next = laneQueue.poll();
        if (next != null) {
            next.laneState = PendingPut.STARTING;
            laneActive++;
        }
        return next;
    }

    /**
     * Starts active puts of the queue in turn: each tries at once and, if it must wait, waits on
     * the async threads, and the next goes when it ends. A loop, so that a long queue of puts that
     * find room does not nest calls.
     */
    private void runLane(PendingPut first) {
        for (PendingPut p = first; p != null; ) {
            CompletableFuture<Boolean> added;
            try {
                added = p.put.apply(store());
            } catch (RuntimeException | Error e) {
                added = CompletableFuture.failedFuture(e); // and the lane goes on: a give-up waits for STARTED
            }
            synchronized (laneLock) {
                p.added = added;
                p.laneState = PendingPut.STARTED;
                laneLock.notifyAll();
            }
            if (waitsOnAsyncThreads(added)) {
                PendingPut waiting = p;
                added.whenComplete((ok, err) -> endedInLane(waiting, ok, err));
                return;
            }
            added.whenComplete(p::settle);
            synchronized (laneLock) {
                laneActive--;
                lanePuts--;
                p = nextInLaneLocked();
            }
        }
    }

    /**
     * The future of a {@link #putAsync} or {@link #putAllAsync}: the store's outcome, with false as
     * {@link QueueFullException} and a wrapped failure as its cause. A caller who gives up on it
     * ({@code cancel}, {@code completeExceptionally}, hence {@code orTimeout}) withdraws a put still
     * waiting on {@link AsyncSupport}'s threads: the give-up takes effect and nothing was or will be
     * added. A put that was made (or failed) first keeps its outcome: {@code cancel} and
     * {@code completeExceptionally} return false without taking effect, and the future completes with
     * what the put did. A put that cannot be withdrawn (one a remote store already sent) is not
     * cancelled ({@code cancel} returns false), but {@code completeExceptionally} still takes effect,
     * so that {@code orTimeout} keeps bounding the wait: as with any remote call that timed out, that
     * put may still go in. A put queued behind another async put of the handle ({@link #lanePuts})
     * is withdrawn by a give-up while it is queued, and the others keep their order.
     */
    private final class PendingPut extends CompletableFuture<Void> {
        /** Queued behind other async puts of the handle; no store call yet. */
        static final int QUEUED = 0;
        /** Its store call is being made. */
        static final int STARTING = 1;
        /** {@link #added} is set: as a put that was never queued. */
        static final int STARTED = 2;
        /** Withdrawn while queued: never made. */
        static final int WITHDRAWN = 3;
        /** The store's async put; null until STARTED. */
        private volatile CompletableFuture<Boolean> added;
        /** The store call of a queued put; null for one made at once. */
        private final java.util.function.Function<QueueStore<T>, CompletableFuture<Boolean>> put;
        /** Guarded by laneLock. */
        private int laneState;
        /** Whether a give-up has tried to withdraw the put (cancelled {@link #added}). */
        private volatile boolean withdrawing;

        PendingPut(CompletableFuture<Boolean> added) {
            this.added = added;
            this.put = null;
            this.laneState = STARTED;
        }

        PendingPut(java.util.function.Function<QueueStore<T>, CompletableFuture<Boolean>> put) {
            this.put = put;
            this.laneState = QUEUED;
        }

        /**
         * For a give-up: withdraws the put if it is still queued (true: nothing was or will be
         * added, and the others keep their order); otherwise waits until its store call has been
         * made, so that {@link #added} is set, and returns false.
         */
        private boolean withdrawnFromLane() {
            if (put == null) {
                return false;
            }
            boolean interrupted = false;
            try {
                synchronized (laneLock) {
                    while (laneState == STARTING) {
                        try {
                            laneLock.wait();
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (laneState == WITHDRAWN) {
                        return true;
                    }
                    if (laneState == QUEUED) {
                        laneQueue.remove(this);
                        lanePuts--;
                        laneState = WITHDRAWN;
                        return true;
                    }
                    return false;
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Completes with the put's outcome, unless a give-up withdrew it (and completes this itself). */
        void settle(Boolean ok, Throwable err) {
            if (withdrawing && added.isCancelled()) {
                return;
            }
            if (err != null) {
                super.completeExceptionally(err instanceof java.util.concurrent.CompletionException
                        && err.getCause() != null ? err.getCause() : err);
            } else if (!ok) {
                super.completeExceptionally(full(Deadline.FOREVER));
            } else {
                super.complete(null);
            }
        }

        /** Withdraws a put still waiting on {@link AsyncSupport}'s threads: true if it was (nothing added). */
        private boolean withdraw() {
            withdrawing = true;
            return added.cancel(true);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (withdrawnFromLane()) {
                return super.cancel(mayInterruptIfRunning) || isCancelled();
            }
            if (!AsyncSupport.cancelWithdraws(added) || !withdraw()) {
                return isCancelled();
            }
            super.cancel(mayInterruptIfRunning);
            return true;
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            Objects.requireNonNull(ex);
            if (withdrawnFromLane()) {
                return super.completeExceptionally(ex);
            }
            if (!AsyncSupport.cancelWithdraws(added)) {
                return super.completeExceptionally(ex);
            }
            return withdraw() && super.completeExceptionally(ex);
        }

        /** Forces the failure, as the JDK's does, after withdrawing a put still waiting (which then adds nothing). */
        @Override
        public void obtrudeException(Throwable ex) {
            Objects.requireNonNull(ex);
            if (!withdrawnFromLane() && AsyncSupport.cancelWithdraws(added)) {
                withdraw();
            }
            super.obtrudeException(ex);
        }

        @Override
        public CompletableFuture<Void> completeAsync(Supplier<? extends Void> supplier,
                java.util.concurrent.Executor executor) {
            return AsyncSupport.completeAsyncThrough(this, supplier, executor);
        }
    }

    @Override
    public CompletableFuture<T> getAsync(Duration timeout) {
        long nanos = Deadline.toNanos(timeout);
        try {
            T now = store().tryPoll();
            if (now != null) {
                return CompletableFuture.completedFuture(now);
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (nanos == 0) {
            return CompletableFuture.failedFuture(empty(0));
        }
        PendingGet pending = new PendingGet(nanos);
        AsyncSupport.executor().execute(pending::takeWhenReady);
        return pending;
    }

    /**
     * The future of a {@link #getAsync} that waits. Its caller may complete it first ({@code cancel},
     * {@code orTimeout}, {@code completeOnTimeout}, {@code completeAsync}, {@code obtrude...}); an item taken after that could be handed to no
     * one. So the waiting thread waits without taking ({@code awaitNotEmpty}) and then, holding
     * {@link #claim}, checks that the future is still open and takes without waiting; a completion
     * from outside takes {@link #claim} too, so it comes either before the take (the item stays
     * queued) or after it (the future holds the item and the completion returns false).
     */
    private final class PendingGet extends CompletableFuture<T> {
        /** The longest wait between checks that the caller has not given up (a cancelled wait ends). */
        private static final long SLICE_NANOS = 100_000_000L;
        private final long timeoutNanos;
        private final java.util.concurrent.locks.ReentrantLock claim = new java.util.concurrent.locks.ReentrantLock();
        /** Whether the outcome is decided: by a take, by the wait ending, or from outside. Guarded by claim. */
        private boolean settled;

        PendingGet(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
        }

        private boolean settle() {
            claim.lock();
            try {
                if (settled) {
                    return false;
                }
                settled = true;
                return true;
            } finally {
                claim.unlock();
            }
        }

        @Override
        public boolean complete(T value) {
            return settle() && super.complete(value);
        }

        @Override
        public boolean completeExceptionally(Throwable ex) {
            return settle() && super.completeExceptionally(ex);
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return settle() ? super.cancel(mayInterruptIfRunning) : isCancelled();
        }

        @Override
        public CompletableFuture<T> completeAsync(Supplier<? extends T> supplier,
                java.util.concurrent.Executor executor) {
            return AsyncSupport.completeAsyncThrough(this, supplier, executor);
        }

        /**
         * Forces the value, as the JDK's does, and ends the wait first so that no later take
         * happens; an item already taken into this future is overwritten, as the caller asked.
         */
        @Override
        public void obtrudeValue(T value) {
            settle();
            super.obtrudeValue(value);
        }

        /** As {@link #obtrudeValue}, with a failure. */
        @Override
        public void obtrudeException(Throwable ex) {
            Objects.requireNonNull(ex);
            settle();
            super.obtrudeException(ex);
        }

        void takeWhenReady() {
            try {
                long deadline = Deadline.deadline(timeoutNanos);
                IdleStrategy missed = new BackoffIdleStrategy();
                boolean wasReady = false;
                for (int misses = 0;;) {
                    // Try first, then wait: a store that refuses this thread (shm's confined
                    // handles) refuses at the first take instead of after the whole wait.
                    QueueStore<T> s = store();
                    T item;
                    claim.lock();
                    try {
                        if (settled) {
                            return;
                        }
                        item = s.tryPoll();
                        settled = item != null;
                    } finally {
                        claim.unlock();
                    }
                    if (item != null) {
                        super.complete(item);
                        return;
                    }
                    if (wasReady) {
                        // The queue had an item but another consumer took it first; back off if
                        // that keeps happening.
                        missed.idle(misses++);
                    }
                    long left = Deadline.remaining(deadline);
                    if (left == 0) {
                        if (settle()) {
                            super.completeExceptionally(empty(timeoutNanos));
                        }
                        return;
                    }
                    wasReady = s.awaitNotEmpty(Math.min(left, SLICE_NANOS));
                }
            } catch (Throwable t) {
                if (settle()) {
                    super.completeExceptionally(t);
                }
            }
        }
    }

    @Override
    public boolean awaitNotEmpty(Duration timeout) throws InterruptedException {
        return store().awaitNotEmpty(Deadline.toNanos(timeout));
    }

    // ---- state

    @Override
    public int size() {
        return store().size();
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    @Override
    public boolean isFull() {
        QueueStore<T> s = store();
        return s.size() >= s.capacity();
    }

    @Override
    public int capacity() {
        return store().capacity();
    }

    @Override
    public int clear() {
        return store().clear();
    }

    @Override
    public QueueMetrics metrics() {
        return store().metrics();
    }

    @Override
    public QueueDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public Set<Capability> capabilities() {
        return store().capabilities();
    }

    @Override
    public MessageQueue<T> subscriber(String name) {
        Objects.requireNonNull(name, "name");
        return of(descriptor, store().subscriber(name));
    }

    @Override
    public BlockingQueue<T> asBlockingQueue() {
        return new BlockingQueueView<>(this);
    }

    @Override
    public Flow.Publisher<T> asPublisher() {
        return new QueuePublisher<>(this);
    }

    /** @return whether this handle is closed */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Runs {@code hook} when this handle is closed or destroyed: {@link QueuePublisher}'s
     * subscriptions complete then even with no demand, when no delivery loop of theirs runs to
     * see it. A hook added after the close does not run; the caller checks {@link #isClosed()}
     * after adding it.
     */
    void addCloseHook(Runnable hook) {
        closeHooks.add(hook);
    }

    void removeCloseHook(Runnable hook) {
        closeHooks.remove(hook);
    }

    /**
     * Whether this handle has ended: closed, or its open store closed under it (the queue
     * destroyed through another handle), which no close hook of this handle hears of. Asks the
     * store without waiting; a store not opened yet has not ended. Other failures of the store
     * (a server out of reach) are not an end: false.
     */
    boolean hasEnded() throws InterruptedException {
        QueueStore<T> s = store;
        if (closed || s == null) {
            return closed;
        }
        try {
            s.awaitNotEmpty(0);
            return false;
        } catch (QueueClosedException e) {
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        QueueStore<T> s;
        synchronized (openLock) {
            if (closed) {
                return;
            }
            closed = true;
            s = store;
        }
        try {
            if (s != null) {
                s.close();
            }
        } finally {
            closeHooks.forEach(Runnable::run);
        }
    }

    @Override
    public void destroy() {
        QueueStore<T> s;
        try {
            s = store();
        } catch (QueueClosedException e) {
            if (!closed) {
                throw e;
            }
            // The handle, not the queue, is what is closed: say how to reach the queue.
            throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed, so it"
                    + " cannot destroy the queue; a new handle can: descriptor().open().destroy()", e);
        }
        synchronized (openLock) {
            closed = true;
        }
        try {
            s.destroy();
        } finally {
            closeHooks.forEach(Runnable::run);
        }
    }

    @Override
    public String toString() {
        return "MessageQueue[" + descriptor.qualifiedName() + "]";
    }
}
