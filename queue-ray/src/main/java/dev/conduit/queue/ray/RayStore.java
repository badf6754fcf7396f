package dev.conduit.queue.ray;

import dev.conduit.queue.Capability;
import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.Deadline;
import dev.conduit.queue.spi.QueueStore;
import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.exception.RayException;
import io.ray.api.exception.RayTimeoutException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One handle on a queue held by a {@link QueueActor}: encodes items, makes one Ray call per
 * operation (one per batch for {@code putAll} and {@code getBatch}) and decodes what comes back.
 *
 * <p>A blocking call waits inside the actor. The client waits for the answer in short slices so
 * that closing the handle or interrupting the caller ends the wait at once: the client then
 * cancels the actor-side wait, and puts back any item the actor had already handed over, so
 * nothing is lost. Long waits are split into actor calls of at most {@link #MAX_ACTOR_WAIT_MILLIS}.
 *
 * <p>Thread-safe: each call is independent; Ray handles are thread-safe.
 *
 * @param <T> the item type
 */
final class RayStore<T> implements QueueStore<T> {
    /** The longest wait one actor call makes; longer waits are several calls. */
    static final long MAX_ACTOR_WAIT_MILLIS = 30_000;
    /** How often a waiting client checks for close and interruption. */
    private static final long SLICE_MILLIS = 20;
    private static final AtomicLong TOKENS = new AtomicLong(ThreadLocalRandom.current().nextLong() | 1L);

    private final QueueDescriptor descriptor;
    private final Codec<T> codec;
    private final RayQueueOptions options;
    private final ActorHandle<QueueActor> actor;
    private final int capacity;
    private volatile boolean closed;

    RayStore(QueueDescriptor descriptor, Codec<T> codec, RayQueueOptions options, ActorHandle<QueueActor> actor,
            int capacity) {
        this.descriptor = descriptor;
        this.codec = codec;
        this.options = options;
        this.actor = actor;
        this.capacity = capacity;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
        checkOpen();
        byte[] payload = encode(item);
        if (timeoutNanos == 0) {
            return call(actor.task(QueueActor::offer, payload, priority, 0L, 0L).remote()) == 1;
        }
        return added(timeoutNanos, (waitMillis, token) -> actor.task(QueueActor::offer, payload, priority,
                waitMillis, token).setConcurrencyGroup(QueueActor.PUTTERS).remote());
    }

    @Override
    public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos)
            throws InterruptedException {
        checkOpen();
        List<byte[]> payloads = new ArrayList<>(items.size());
        for (T item : items) {
            payloads.add(encode(item));
        }
        byte[] frames = Frames.write(payloads, priorities);
        if (timeoutNanos == 0) {
            return call(actor.task(QueueActor::offerAll, frames, 0L, 0L).remote()) == 1;
        }
        return added(timeoutNanos, (waitMillis, token) -> actor.task(QueueActor::offerAll, frames, waitMillis,
                token).setConcurrencyGroup(QueueActor.PUTTERS).remote());
    }

    private boolean added(long timeoutNanos, WaitingCall<Integer> send) throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        for (;;) {
            long waitMillis = actorWaitMillis(deadline);
            long token = TOKENS.getAndAdd(2);
            Outcome<Integer> o = await(send.send(waitMillis, token), waitMillis, token);
            if (o.value() == 1) {
                if (o.abandoned() == Abandon.INTERRUPTED) {
                    // The item went in before the interrupt took effect: report success, keep the flag.
                    Thread.currentThread().interrupt();
                }
                return true;
            }
            o.throwIfAbandoned(this);
            if (Deadline.remaining(deadline) == 0) {
                return false;
            }
        }
    }

    @Override
    public T poll(long timeoutNanos) throws InterruptedException {
        List<T> one = new ArrayList<>(1);
        return drainTo(one, 1, timeoutNanos) == 0 ? null : one.get(0);
    }

    @Override
    public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
        checkOpen();
        byte[] frames;
        if (timeoutNanos == 0) {
            frames = call(actor.task(QueueActor::poll, maxItems, 0L, 0L).remote());
        } else {
            frames = take(maxItems, timeoutNanos);
        }
        return Frames.read(frames, (priority, bytes, offset, length) -> sink.add(codec.decode(bytes, offset, length)));
    }

    private byte[] take(int maxItems, long timeoutNanos) throws InterruptedException {
        long deadline = Deadline.deadline(timeoutNanos);
        for (;;) {
            long waitMillis = actorWaitMillis(deadline);
            long token = TOKENS.getAndAdd(2);
            Outcome<byte[]> o = await(actor.task(QueueActor::poll, maxItems, waitMillis, token)
                    .setConcurrencyGroup(QueueActor.GETTERS).remote(), waitMillis, token);
            if (o.abandoned() != Abandon.NONE && Frames.count(o.value()) > 0) {
                // Handed over after our cancel was sent: give the items back rather than lose them.
                call(actor.task(QueueActor::returnItems, o.value()).remote());
            }
            o.throwIfAbandoned(this);
            if (Frames.count(o.value()) > 0 || Deadline.remaining(deadline) == 0) {
                return o.value();
            }
        }
    }

    @Override
    public T peek() {
        checkOpen();
        List<T> one = new ArrayList<>(1);
        Frames.read(call(actor.task(QueueActor::peek).remote()),
                (priority, bytes, offset, length) -> one.add(codec.decode(bytes, offset, length)));
        return one.isEmpty() ? null : one.get(0);
    }

    @Override
    public int size() {
        checkOpen();
        return call(actor.task(QueueActor::size).remote());
    }

    @Override
    public int clear() {
        checkOpen();
        return call(actor.task(QueueActor::clear).remote());
    }

    @Override
    public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
        checkOpen();
        if (timeoutNanos == 0) {
            return call(actor.task(QueueActor::awaitNotEmpty, 0L, 0L).remote());
        }
        long deadline = Deadline.deadline(timeoutNanos);
        for (;;) {
            long waitMillis = actorWaitMillis(deadline);
            long token = TOKENS.getAndAdd(2);
            Outcome<Boolean> o = await(actor.task(QueueActor::awaitNotEmpty, waitMillis, token)
                    .setConcurrencyGroup(QueueActor.GETTERS).remote(), waitMillis, token);
            o.throwIfAbandoned(this);
            if (o.value() || Deadline.remaining(deadline) == 0) {
                return o.value();
            }
        }
    }

    @Override
    public QueueMetrics metrics() {
        checkOpen();
        long[] s = call(actor.task(QueueActor::stats).remote());
        return new QueueMetrics((int) s[0], (int) s[1], s[2], s[3], s[4], 0, s[5], s[6], s[7],
                options.maxItemBytes());
    }

    @Override
    public Set<Capability> capabilities() {
        return RayBackend.CAPABILITIES;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void destroy() {
        closed = true;
        RayQueues.kill(actor, options);
    }

    // ---- calls

    private void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private QueueClosedException closedException() {
        return new QueueClosedException("queue handle " + descriptor.qualifiedName() + " is closed");
    }

    private byte[] encode(T item) {
        byte[] b = codec.encode(item);
        if (b.length > options.maxItemBytes()) {
            throw new ItemTooLargeException("an item of " + b.length + " encoded bytes is over the limit of queue "
                    + descriptor.qualifiedName() + " (option maxItemBytes=" + options.maxItemBytes() + ")");
        }
        return b;
    }

    private <R> R call(ObjectRef<R> ref) {
        return RayQueues.get(ref, options.callTimeoutMillis(), descriptor);
    }

    private static long actorWaitMillis(long deadline) {
        long left = Deadline.remaining(deadline);
        if (left >= TimeUnit.MILLISECONDS.toNanos(MAX_ACTOR_WAIT_MILLIS)) {
            return MAX_ACTOR_WAIT_MILLIS;
        }
        // Round up, so that a sub-millisecond timeout still waits rather than becoming "do not wait".
        return Math.max(1, (left + 999_999) / 1_000_000);
    }

    /**
     * Waits for the answer of a call that may wait in the actor; on close or interrupt cancels the
     * actor-side wait and still collects the answer, which the caller must reconcile.
     */
    private <R> Outcome<R> await(ObjectRef<R> ref, long waitMillis, long token) {
        long giveUp = Deadline.deadline(TimeUnit.MILLISECONDS.toNanos(waitMillis + options.callTimeoutMillis()));
        Abandon abandon = Abandon.NONE;
        for (;;) {
            if (abandon == Abandon.NONE) {
                if (Thread.interrupted()) {
                    abandon = Abandon.INTERRUPTED;
                } else if (closed) {
                    abandon = Abandon.CLOSED;
                }
                if (abandon != Abandon.NONE) {
                    actor.task(QueueActor::cancel, token).remote();
                }
            }
            try {
                return new Outcome<>(Ray.get(ref, SLICE_MILLIS), abandon);
            } catch (RayTimeoutException e) {
                if (Deadline.remaining(giveUp) == 0) {
                    restoreInterrupt(abandon);
                    throw RayQueues.translate(e, descriptor, waitMillis + options.callTimeoutMillis());
                }
            } catch (RayException e) {
                restoreInterrupt(abandon);
                throw RayQueues.translate(e, descriptor, waitMillis);
            }
        }
    }

    private static void restoreInterrupt(Abandon abandon) {
        if (abandon == Abandon.INTERRUPTED) {
            Thread.currentThread().interrupt();
        }
    }

    /** Why a client stopped waiting before the actor answered. */
    private enum Abandon {
        NONE, INTERRUPTED, CLOSED
    }

    /** An actor's answer, and whether the caller gave up on it meanwhile. */
    private record Outcome<R>(R value, Abandon abandoned) {
        void throwIfAbandoned(RayStore<?> store) throws InterruptedException {
            if (abandoned == Abandon.INTERRUPTED) {
                throw new InterruptedException("interrupted while waiting on queue " + store.descriptor.qualifiedName());
            }
            if (abandoned == Abandon.CLOSED) {
                throw store.closedException();
            }
        }
    }

    /** Sends one waiting call. */
    @FunctionalInterface
    private interface WaitingCall<R> {
        ObjectRef<R> send(long waitMillis, long token);
    }
}
