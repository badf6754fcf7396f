package dev.conduit.queue.ray;

import io.ray.api.ActorHandle;
import io.ray.api.ObjectRef;
import io.ray.api.Ray;
import io.ray.api.exception.RayException;
import io.ray.api.exception.RayTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The answers of polls whose callers stopped waiting for them (the actor did not answer within
 * {@code callTimeoutMillis}): the actor still runs such a poll and it still takes items, so when
 * its answer comes they are put back at the head of their queue instead of being lost. One daemon
 * thread of this process collects them, started at first use. An answer that fails (the actor or
 * the queue is gone, and the items with it) or that has not come within {@link #KEEP_MILLIS} is
 * dropped.
 *
 * <p>Thread-safe.
 */
final class LatePolls {
    /** How long a late answer is waited for. */
    static final long KEEP_MILLIS = TimeUnit.MINUTES.toMillis(10);
    /** How long putting the items back may take before it is left to the actor. */
    private static final long RETURN_WAIT_MILLIS = TimeUnit.MINUTES.toMillis(1);
    /** How often the thread looks at the answers it waits for. */
    private static final long PASS_MILLIS = 20;
    private static final LinkedBlockingQueue<Late> ARRIVING = new LinkedBlockingQueue<>();
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    /** A poll's answer nobody waits for, and where its items go back. */
    private record Late(ObjectRef<byte[]> answer, ActorHandle<QueueActor> actor, long queue, long dropAt) {
    }

    private LatePolls() {
    }

    /**
     * Puts back what a poll takes once its answer comes.
     *
     * @param answer the answer the caller gave up on
     * @param actor the queue's actor
     * @param queue the queue's id in it
     */
    static void add(ObjectRef<byte[]> answer, ActorHandle<QueueActor> actor, long queue) {
        ARRIVING.add(new Late(answer, actor, queue, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KEEP_MILLIS)));
        if (STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(LatePolls::run, "conduit-ray-late-polls");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void run() {
        List<Late> waiting = new ArrayList<>();
        for (;;) {
            try {
                if (waiting.isEmpty()) {
                    waiting.add(ARRIVING.take());
                }
                ARRIVING.drainTo(waiting);
                waiting.removeIf(LatePolls::settled);
                if (!waiting.isEmpty()) {
                    Thread.sleep(PASS_MILLIS);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Ray is shutting down in this process: nothing can be put back any more.
                waiting.clear();
            }
        }
    }

    /** @return true once the answer was handled (its items put back) or dropped */
    private static boolean settled(Late late) {
        byte[] frames;
        try {
            frames = Ray.get(late.answer(), 0);
        } catch (RayTimeoutException e) {
            return System.nanoTime() - late.dropAt() > 0;
        } catch (RayException e) {
            return true;
        }
        if (Frames.count(frames) > 0) {
            try {
                Ray.get(late.actor().task(QueueActor::returnItems, Requests.returnItems(late.queue(), frames)).remote(),
                        RETURN_WAIT_MILLIS);
            } catch (RayException e) {
                // The queue is gone (so are its items), or the actor has not answered yet: the call
                // still puts them back when it runs.
            }
        }
        return true;
    }
}
