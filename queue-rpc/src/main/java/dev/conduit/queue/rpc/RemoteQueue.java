package dev.conduit.queue.rpc;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.rpc.proto.OpenRequest;
import dev.conduit.queue.rpc.proto.OpenResponse;
import dev.conduit.queue.rpc.proto.QueueRef;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc;
import dev.conduit.queue.rpc.proto.QueueServiceGrpc.QueueServiceFutureStub;
import io.grpc.ConnectivityState;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue on one server, as the client sees it: the shared channel, the token, the queue's
 * server-side descriptor, what the server said when the queue was opened, and the call loop that
 * gives every call a deadline, retries while the server is unreachable and turns failures into
 * {@link QueueException}s. Shared by a handle's store and its subscriber stores (reference counted).
 *
 * <p>Thread-safe.
 */
final class RemoteQueue {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteQueue.class);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int MAX_REOPENS = 3;

    final QueueDescriptor descriptor;
    final RpcOptions options;
    private final String serverDescriptorJson;
    /** The server-side type of the queue (local, priority, journal). */
    private final String serverType;
    private final RpcChannels.Lease lease;
    private final QueueServiceFutureStub stub;
    private final String clientId = UUID.randomUUID().toString();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger refs = new AtomicInteger(1);
    private final Object openLock = new Object();
    private volatile OpenResponse opened;
    private volatile String knownEpoch;
    private volatile boolean closed;

    /**
     * The calls one handle has in flight, so that closing the handle ends them at once (with
     * {@link QueueClosedException}) while other handles on the same channel carry on. A get is
     * ended by asking the server (CancelGet), not by cutting the call off: the server may have taken
     * items for its answer already, and the answer must still arrive, or they would be lost.
     */
    static final class Scope {
        /**
         * How long {@link #close()} waits for the answers of the gets it asked the server to end: a
         * live server answers in a round trip, and the get returns what the answer carries.
         */
        static final long CLOSE_WAITS_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
        /**
         * How long the answer of a get that a close ended without it is awaited in the background
         * (its items go back to the server) before the call is cut off.
         */
        static final long END_GENTLY_NANOS = TimeUnit.SECONDS.toNanos(2);

        private final Set<Future<?>> inflight = ConcurrentHashMap.newKeySet();
        /** The gets in flight, which are asked to end rather than cancelled. */
        private final Map<Future<?>, Gentle> gentle = new ConcurrentHashMap<>();
        private volatile boolean closed;

        /**
         * Ends every call in flight and refuses new ones. Gets are asked to end and their answers
         * awaited for at most {@link #CLOSE_WAITS_NANOS}; a get whose answer has not come by then
         * throws {@link QueueClosedException}, and its answer is handled in the background. The
         * rest are cancelled.
         */
        void close() {
            closed = true;
            List<Future<?>> asked = new ArrayList<>();
            for (Future<?> f : inflight) {
                Gentle g = gentle.get(f);
                if (g != null && g.askToEnd()) {
                    asked.add(f);
                } else {
                    f.cancel(false);
                }
            }
            awaitAnswers(asked, CLOSE_WAITS_NANOS);
            for (Future<?> f : asked) {
                Gentle g = gentle.get(f);
                if (g != null) {
                    g.wake.complete(null);
                }
            }
        }

        /** Ends a call started as the scope closed: as {@link #close()} does, without waiting here. */
        void endLate(Future<?> f) {
            Gentle g = gentle.get(f);
            if (g != null && g.askToEnd()) {
                g.wake.complete(null);
            } else {
                f.cancel(false);
            }
        }

        private static void awaitAnswers(List<Future<?>> calls, long nanos) {
            boolean interrupted = false;
            long deadline = System.nanoTime() + nanos;
            for (Future<?> f : calls) {
                for (;;) {
                    try {
                        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException | TimeoutException | CancellationException e) {
                        break;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        boolean isClosed() {
            return closed;
        }
    }

    /**
     * A get in flight that a close asks to end. Its answer goes to exactly one of two places: the
     * waiting get, if it arrives before the get gives up on it ({@link #answered}), or, if the get
     * ended first with {@link QueueClosedException} ({@link #abandon}), back to the server.
     */
    private static final class Gentle {
        private static final int WAITING = 0;
        private static final int ANSWERED = 1;
        private static final int ABANDONED = 2;

        private final Supplier<Future<?>> ender;
        /** Completed when the answer arrives or a close ends the get without it. */
        final CompletableFuture<Void> wake = new CompletableFuture<>();
        private final AtomicInteger state = new AtomicInteger(WAITING);

        Gentle(Supplier<Future<?>> ender) {
            this.ender = ender;
        }

        /** @return whether the server was asked to end the call (false: it must be cancelled) */
        boolean askToEnd() {
            try {
                return ender.get() != null;
            } catch (RuntimeException e) {
                return false;
            }
        }

        /** @return false if the get gave up on the answer, which arrived now (called when it does) */
        boolean answered() {
            return state.compareAndExchange(WAITING, ANSWERED) != ABANDONED;
        }

        /**
         * @param f the call
         * @return true if the get gives up on the answer, which then goes back to the server; false
         *     if the answer is in
         */
        boolean abandon(Future<?> f) {
            return !f.isDone() && state.compareAndSet(WAITING, ABANDONED);
        }
    }

    /** One attempt of a call. */
    @FunctionalInterface
    interface Attempt<R> {
        /**
         * @param stub the stub, with the call's deadline set
         * @param ref the queue, with the current epoch
         * @return the pending answer
         */
        ListenableFuture<R> start(QueueServiceFutureStub stub, QueueRef ref);

        /**
         * Asks the server to end the attempt early, when the calling thread is interrupted or the
         * handle closes, so that its answer (and any items it carries) still arrives instead of
         * being cut off.
         *
         * @param stub the stub, with a deadline of the call timeout
         * @param ref the queue
         * @return the pending request that asks it, or null to cancel the call outright
         */
        default ListenableFuture<?> endEarly(QueueServiceFutureStub stub, QueueRef ref) {
            return null;
        }

        /**
         * Whether the call takes items: such a call is not tried again once its request may have
         * reached the server, since the server may have taken items for an answer that was lost.
         *
         * @return true for gets
         */
        default boolean takesItems() {
            return false;
        }

        /**
         * Says, on the calling thread and before the call throws {@link QueueClosedException}, that
         * its caller stops waiting for the answer (its handle closed first): {@link #abandoned}
         * follows, once, on a thread of its own.
         */
        default void abandoning() {
        }

        /**
         * Takes the answer of a call whose caller stopped waiting for it (its handle closed first):
         * a get gives the items in it back to the server. Called on a thread of its own.
         *
         * @param answer the answer, or null if none came (the call failed or was cut off)
         */
        default void abandoned(R answer) {
        }
    }

    RemoteQueue(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.options = RpcOptions.of(descriptor);
        QueueDescriptor serverDescriptor = RpcOptions.serverDescriptor(descriptor);
        this.serverDescriptorJson = serverDescriptor.toJson();
        this.serverType = serverDescriptor.type();
        this.lease = RpcChannels.acquire(options);
        QueueServiceFutureStub s = QueueServiceGrpc.newFutureStub(lease.channel);
        if (options.token() != null) {
            Metadata headers = new Metadata();
            headers.put(TokenCheck.AUTHORIZATION, "Bearer " + options.token());
            s = s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        this.stub = s;
    }

    /** @return this, with one more user; pair with {@link #release()} */
    RemoteQueue retain() {
        refs.incrementAndGet();
        return this;
    }

    /** @return true with one more user, as {@link #retain()}; false if the last user has gone */
    boolean tryRetain() {
        for (;;) {
            int n = refs.get();
            if (n == 0) {
                return false;
            }
            if (refs.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Drops one user; the last one gives the channel back. */
    void release() {
        if (refs.decrementAndGet() == 0) {
            closed = true;
            lease.release();
        }
    }

    /** @return the next idempotency sequence number of this client */
    long nextSequence() {
        return sequence.incrementAndGet();
    }

    /** @return this client's id in idempotency keys */
    String clientId() {
        return clientId;
    }

    /** @return what the server said when the queue was opened, opening it if needed */
    OpenResponse info() throws InterruptedException {
        OpenResponse o = opened;
        return o != null ? o : call("open", "", 0, null, new Scope());
    }

    /**
     * Opens the queue on the server with one attempt: an unreachable server is not retried here.
     *
     * @return false if the server could not be reached (the next call retries it for
     *     {@code reconnectMillis})
     * @throws InterruptedException if interrupted
     * @throws QueueException the server's refusal (a bad descriptor, a token), as its subclass
     */
    boolean tryOpen() throws InterruptedException {
        if (opened != null) {
            return true;
        }
        try {
            open(new Scope());
            return true;
        } catch (StatusRuntimeException e) {
            ErrorKind kind = ErrorKind.of(e);
            if (kind == null || kind == ErrorKind.SHUTTING_DOWN) {
                return false;
            }
            throw kind.toException("open on " + descriptor.qualifiedName() + ": " + ErrorKind.messageOf(e), e,
                    serverType);
        }
    }

    /** @return the capabilities a server reported when it opened a queue */
    static Set<Capability> capabilities(OpenResponse info) {
        EnumSet<Capability> caps = EnumSet.noneOf(Capability.class);
        for (String c : info.getCapabilitiesList()) {
            try {
                caps.add(Capability.valueOf(c));
            } catch (IllegalArgumentException newerServer) {
                // A capability this client does not know: it cannot use it either.
            }
        }
        return Collections.unmodifiableSet(caps);
    }

    /**
     * Runs a call that needs no open queue (server-wide queries), with the same deadline, retries and
     * error mapping as {@link #call}.
     */
    <R> R unopened(String op, Attempt<R> attempt) throws InterruptedException {
        return call(op, "", 0, attempt, false, new Scope());
    }

    /**
     * Runs a call: opens the queue first if needed, gives it a deadline of {@code waitNanos} plus
     * the call timeout, retries while the server is unreachable (up to {@code reconnectMillis}),
     * reopens the queue if the server lost track of it, and maps failures.
     *
     * @param op the operation's name, for messages
     * @param subscriber the broadcast subscriber the call reads for, or empty
     * @param waitNanos how long the server may wait inside the call
     * @param attempt starts one attempt; null just opens the queue (returns the open answer)
     * @param scope the calling handle's calls in flight
     * @return the answer
     * @throws InterruptedException if interrupted; the call is cancelled
     * @throws ServerUnavailableException when the server stayed unreachable
     * @throws ServerRestartedException when an in-memory queue was lost in a server restart
     * @throws QueueException the server's failure, as its subclass
     */
    <R> R call(String op, String subscriber, long waitNanos, Attempt<R> attempt, Scope scope)
            throws InterruptedException {
        return call(op, subscriber, waitNanos, attempt, true, scope);
    }

    @SuppressWarnings("unchecked")
    private <R> R call(String op, String subscriber, long waitNanos, Attempt<R> attempt, boolean needsOpen,
            Scope scope) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        long unreachableSince = 0;
        long backoff = TimeUnit.MILLISECONDS.toNanos(20);
        int reopens = 0;
        boolean requestMayArrive = false;
        for (;;) {
            if (closed || scope.isClosed()) {
                throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
            }
            try {
                OpenResponse info = needsOpen ? opened : OpenResponse.getDefaultInstance();
                if (info == null) {
                    info = open(scope);
                }
                if (attempt == null) {
                    return (R) info;
                }
                QueueRef ref = QueueRef.newBuilder().setNamespace(descriptor.namespace()).setId(descriptor.id())
                        .setEpoch(info.getEpoch()).setSubscriber(subscriber).build();
                long deadlineNanos = saturatedAdd(waitNanos, options.callTimeout().toNanos());
                // A call started on a connected channel may reach the server even if it then fails
                // as unreachable; one started while the channel is down fails before it is sent.
                requestMayArrive = lease.channel.getState(false) == ConnectivityState.READY;
                return await(attempt.start(stub.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS), ref), scope,
                        attempt, ref);
            } catch (StatusRuntimeException e) {
                ErrorKind kind = ErrorKind.of(e);
                String message = ErrorKind.messageOf(e);
                if (kind == null && (closed || scope.isClosed())) {
                    // Closing the handle shut its channel down under the call: that is the close
                    // the caller asked for, not a broken connection.
                    throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " was closed while "
                            + op + " was under way");
                }
                if (kind == null && attempt != null && attempt.takesItems() && requestMayArrive) {
                    // Trying again could return later items while the server already took some for
                    // the answer that was lost: the caller must hear of it (docs/rpc.md).
                    throw new ServerUnavailableException(op + " on " + descriptor.qualifiedName() + ": the "
                            + "connection to queue server " + options.host() + ":" + options.port() + " broke while the "
                            + "call was under way (" + e.getStatus().getCode() + ": " + message + "); items the server "
                            + "had already taken for it may be lost; the next call reconnects", e);
                }
                if (kind == null || kind == ErrorKind.SHUTTING_DOWN) {
                    long now = System.nanoTime();
                    if (unreachableSince == 0) {
                        unreachableSince = now;
                        LOG.atDebug().setMessage("server unreachable, retrying").addKeyValue("op", op)
                                .addKeyValue("server", options.host() + ":" + options.port())
                                .addKeyValue("status", e.getStatus().getCode()).log();
                    }
                    if (now - unreachableSince >= options.reconnect().toNanos()) {
                        throw new ServerUnavailableException(op + " on " + descriptor.qualifiedName() + ": queue "
                                + "server " + options.host() + ":" + options.port() + " has been unreachable for "
                                + TimeUnit.NANOSECONDS.toMillis(now - unreachableSince) + " ms (" + e.getStatus()
                                .getCode() + ": " + message + ")", e);
                    }
                    TimeUnit.NANOSECONDS.sleep(backoff);
                    backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
                    lease.channel.resetConnectBackoff();
                    continue;
                }
                if (kind == ErrorKind.QUEUE_UNKNOWN && reopens++ < MAX_REOPENS) {
                    opened = null;
                    continue;
                }
                if (kind == ErrorKind.RESTARTED) {
                    opened = null;
                    knownEpoch = null;
                }
                throw kind.toException(op + " on " + descriptor.qualifiedName() + ": " + message, e, serverType);
            }
        }
    }

    private OpenResponse open(Scope scope) throws InterruptedException {
        synchronized (openLock) {
            OpenResponse o = opened;
            if (o != null) {
                return o;
            }
            QueueRef ref = QueueRef.newBuilder().setNamespace(descriptor.namespace()).setId(descriptor.id()).build();
            o = await(stub.withDeadlineAfter(options.callTimeout().toNanos(), TimeUnit.NANOSECONDS)
                    .open(OpenRequest.newBuilder().setQueue(ref).setDescriptorJson(serverDescriptorJson).build()),
                    scope, null, ref);
            String previous = knownEpoch;
            knownEpoch = o.getEpoch();
            opened = o;
            if (previous != null && !previous.equals(o.getEpoch()) && !o.getDurable()) {
                LOG.atWarn().setMessage("queue server restarted; in-memory queue lost its items")
                        .addKeyValue("queue", descriptor.qualifiedName()).log();
                throw new ServerRestartedException("queue server " + options.host() + ":" + options.port()
                        + " restarted since this handle last used in-memory queue " + descriptor.qualifiedName()
                        + ": the items it held are lost; nothing was done, and the handle now uses the new, empty "
                        + "queue", null);
            }
            return o;
        }
    }

    private <R> R await(ListenableFuture<R> f, Scope scope, Attempt<R> attempt, QueueRef ref)
            throws InterruptedException {
        Gentle gentle = null;
        if (attempt != null && attempt.takesItems()) {
            // The call keeps the channel until its answer is handled, even after its handle closed.
            if (!tryRetain()) {
                f.cancel(false);
                throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
            }
            Gentle g = new Gentle(() -> attempt.endEarly(stub.withDeadlineAfter(options.callTimeout().toNanos(),
                    TimeUnit.NANOSECONDS), ref));
            gentle = g;
            scope.gentle.put(f, g);
            f.addListener(() -> {
                if (g.answered()) {
                    g.wake.complete(null);
                    release();
                } else {
                    CompletableFuture.runAsync(() -> handOver(f, attempt));
                }
            }, MoreExecutors.directExecutor());
        }
        scope.inflight.add(f);
        try {
            if (scope.isClosed()) {
                scope.endLate(f);
            }
            try {
                if (gentle != null) {
                    gentle.wake.get();
                    if (gentle.abandon(f)) {
                        // A close ended the get before its answer came: it is handled when it does.
                        attempt.abandoning();
                        CompletableFuture.delayedExecutor(Scope.END_GENTLY_NANOS, TimeUnit.NANOSECONDS)
                                .execute(() -> f.cancel(false));
                        throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " was "
                                + "closed during the call");
                    }
                }
                return f.get();
            } catch (InterruptedException e) {
                if (attempt != null && endEarly(attempt, ref)) {
                    // The server ends the call now; its answer still carries whatever it took.
                    R r = getUninterruptibly(f, options.callTimeout().toNanos());
                    if (r != null) {
                        Thread.currentThread().interrupt();
                        return r;
                    }
                }
                if (f.cancel(true)) {
                    throw e;
                }
                // The answer came in as the interrupt did: keep it (a get's items would be lost
                // otherwise) and leave the interrupt for the caller to see.
                Thread.currentThread().interrupt();
                return Futures.getDone(f);
            }
        } catch (CancellationException e) {
            throw new QueueClosedException("queue handle " + descriptor.qualifiedName() + " was closed during the "
                    + "call", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof StatusRuntimeException) {
                throw (StatusRuntimeException) c;
            }
            throw Status.fromThrowable(c).asRuntimeException();
        } finally {
            scope.inflight.remove(f);
            scope.gentle.remove(f);
        }
    }

    /** Hands the answer of a call its caller gave up on to {@link Attempt#abandoned}, then lets the channel go. */
    private <R> void handOver(ListenableFuture<R> f, Attempt<R> attempt) {
        try {
            R answer = null;
            try {
                answer = Futures.getDone(f);
            } catch (ExecutionException | CancellationException e) {
                // No answer: the server took nothing for it, or the call was cut off.
            }
            attempt.abandoned(answer);
        } catch (RuntimeException e) {
            LOG.atWarn().setMessage("the answer of a get ended by close could not be handled").setCause(e)
                    .addKeyValue("queue", descriptor.qualifiedName()).log();
        } finally {
            release();
        }
    }

    /** Asks the server to end an attempt early and waits until it has; false if it could not be asked. */
    private <R> boolean endEarly(Attempt<R> attempt, QueueRef ref) {
        try {
            ListenableFuture<?> asked = attempt.endEarly(stub.withDeadlineAfter(options.callTimeout().toNanos(),
                    TimeUnit.NANOSECONDS), ref);
            if (asked == null) {
                return false;
            }
            asked.get();
            return true;
        } catch (InterruptedException | ExecutionException | RuntimeException e) {
            return false;
        }
    }

    /** @return the answer, or null if it failed or did not come within {@code nanos} */
    private static <R> R getUninterruptibly(ListenableFuture<R> f, long nanos) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + nanos;
        try {
            for (;;) {
                try {
                    return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException again) {
                    interrupted = true;
                } catch (ExecutionException | java.util.concurrent.TimeoutException | CancellationException e) {
                    return null;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }
}
