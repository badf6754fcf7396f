package dev.conduit.queue.ray;

import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.spi.QueueStore;
import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.call.ActorCreator;
import io.ray.api.concurrencygroup.ConcurrencyGroup;
import io.ray.api.concurrencygroup.ConcurrencyGroupBuilder;
import io.ray.api.exception.RayActorException;
import io.ray.api.exception.RayException;
import io.ray.api.exception.RayTimeoutException;
import io.ray.api.options.ActorLifetime;
import java.util.Optional;

/**
 * Finds or creates the named, detached actor behind a {@code ray} descriptor, starting this JVM's
 * Ray runtime first when nothing has (a driver that called {@code Ray.init} itself, and every Ray
 * worker, keep theirs), and turns Ray's exceptions into Conduit's.
 *
 * <p>All methods are thread-safe. Only {@link RayBackend#open} reaches this class, so a JVM
 * without Ray on its class path never loads it.
 */
final class RayQueues {
    private static final Object INIT_LOCK = new Object();
    private static final long DESTROY_WAIT_MILLIS = 10_000;

    private RayQueues() {
    }

    /**
     * Opens the queue a descriptor names: attaches to its actor or creates it.
     *
     * @param <T> the item type
     * @param descriptor a {@code ray} descriptor
     * @param codec the item codec
     * @return the store
     * @throws IllegalArgumentException naming the option when an option is malformed
     * @throws QueueException when Ray cannot start or the actor cannot be created or reached
     */
    static <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        RayQueueOptions options = RayQueueOptions.of(descriptor);
        ensureRuntime();
        ActorHandle<QueueActor> actor = findOrCreate(descriptor, options);
        // The first call also waits for the actor's start: later calls cannot overtake it.
        long[] opened = get(actor.task(QueueActor::open, options.queueName(), descriptor.capacity()).remote(),
                options.callTimeoutMillis(), descriptor);
        return new RayStore<>(descriptor, codec, options, actor, opened[0], (int) opened[1], opened[2]);
    }

    /**
     * Starts this JVM's Ray runtime unless one runs (it honours {@code -Dray.address}).
     *
     * @throws QueueException if Ray cannot start
     */
    static void ensureRuntime() {
        if (Ray.isInitialized()) {
            return;
        }
        synchronized (INIT_LOCK) {
            if (Ray.isInitialized()) {
                return;
            }
            try {
                Ray.init();
            } catch (RuntimeException | LinkageError e) {
                throw new QueueException("could not start the Ray runtime (ray.address="
                        + System.getProperty("ray.address", "<unset: starts a new local cluster>")
                        + "); put the ray_dist.jar of the cluster's Ray version on the class path, and see "
                        + "docs/ray.md for the JVM flags (scripts/ray-cluster.sh env prints them)", e);
            }
        }
    }

    private static ActorHandle<QueueActor> findOrCreate(QueueDescriptor d, RayQueueOptions o) {
        Optional<ActorHandle<QueueActor>> found = Ray.getActor(o.actorName(), o.rayNamespace());
        if (found.isPresent()) {
            return found.get();
        }
        ConcurrencyGroup getters = new ConcurrencyGroupBuilder<QueueActor>().setName(QueueActor.GETTERS)
                .setMaxConcurrency(o.waitThreads()).build();
        ConcurrencyGroup putters = new ConcurrencyGroupBuilder<QueueActor>().setName(QueueActor.PUTTERS)
                .setMaxConcurrency(o.waitThreads()).build();
        ActorCreator<QueueActor> creator = Ray.actor(QueueActor::new)
                .setName(o.actorName(), o.rayNamespace())
                .setLifetime(ActorLifetime.DETACHED)
                .setMaxRestarts(o.maxRestarts())
                .setConcurrencyGroups(getters, putters);
        if (!o.resources().isEmpty()) {
            creator.setResources(o.resources());
        }
        try {
            return creator.remote();
        } catch (RuntimeException e) {
            // Another client created the actor between our lookup and our creation: use theirs.
            Optional<ActorHandle<QueueActor>> raced = Ray.getActor(o.actorName(), o.rayNamespace());
            return raced.orElseThrow(() -> new QueueException("could not create the Ray actor of queue "
                    + d.qualifiedName() + " (name '" + o.actorName() + "' in Ray namespace '" + o.rayNamespace()
                    + "'): " + e.getMessage(), e));
        }
    }

    /**
     * Kills the shared host actor of a descriptor's queue.
     *
     * @param d a descriptor with option {@code host}
     * @return true if the host was running
     */
    static boolean destroyHost(QueueDescriptor d) {
        RayQueueOptions o = RayQueueOptions.of(d);
        if (!o.shared()) {
            throw new IllegalArgumentException("queue " + d.qualifiedName() + " has no option '" + RayQueueOptions.HOST
                    + "': it has an actor of its own, which destroy() removes");
        }
        ensureRuntime();
        Optional<ActorHandle<QueueActor>> host = Ray.getActor(o.actorName(), o.rayNamespace());
        host.ifPresent(a -> kill(a, o));
        return host.isPresent();
    }

    /**
     * Kills a queue's actor (no restart) and waits until its name is free, so that opening the
     * descriptor again makes a new, empty queue.
     *
     * @param actor the actor
     * @param o the queue's options
     */
    static void kill(ActorHandle<QueueActor> actor, RayQueueOptions o) {
        actor.kill(true);
        long giveUp = System.nanoTime() + DESTROY_WAIT_MILLIS * 1_000_000;
        while (System.nanoTime() - giveUp < 0) {
            Optional<ActorHandle<QueueActor>> still = Ray.getActor(o.actorName(), o.rayNamespace());
            if (still.isEmpty() || !still.get().getId().equals(actor.getId())) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Waits for a call that does not wait in the actor.
     *
     * @param <R> the result type
     * @param ref the call's result
     * @param timeoutMillis the longest wait for the answer
     * @param d the queue, for messages
     * @return the result
     * @throws QueueException as {@link #translate} says
     */
    static <R> R get(ObjectRef<R> ref, long timeoutMillis, QueueDescriptor d) {
        try {
            return Ray.get(ref, timeoutMillis);
        } catch (RayException e) {
            throw translate(e, d, timeoutMillis);
        }
    }

    /**
     * Conduit's exception for a failed Ray call.
     *
     * @param e what Ray threw
     * @param d the queue
     * @param waitedMillis how long the client waited, for the message of a timeout
     * @return {@link QueueClosedException} when the actor is dead (destroyed, or its node or process
     *     was lost), otherwise a {@link QueueException}
     */
    static QueueException translate(RayException e, QueueDescriptor d, long waitedMillis) {
        if (e instanceof RayActorException) {
            return new QueueClosedException("queue " + d.qualifiedName() + " is gone: its Ray actor is dead "
                    + "(destroyed, or its worker or node was lost); the items it held are lost", e);
        }
        if (e instanceof RayTimeoutException) {
            return new QueueException("queue " + d.qualifiedName() + ": its Ray actor did not answer within "
                    + waitedMillis + " ms (node lost, or the actor is pending and cannot be placed)", e);
        }
        if (isQueueGone(e)) {
            return new QueueClosedException("queue " + d.qualifiedName() + " is gone: it was destroyed", e);
        }
        return new QueueException("queue " + d.qualifiedName() + ": Ray call failed: " + e.getMessage(), e);
    }

    private static boolean isQueueGone(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof QueueGoneException
                    || (t.getMessage() != null && t.getMessage().contains(QueueGoneException.MARKER))) {
                return true;
            }
        }
        return false;
    }
}
