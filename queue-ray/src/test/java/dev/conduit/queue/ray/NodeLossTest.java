package dev.conduit.queue.ray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.BaseActorHandle;
import io.ray.api.Ray;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Losing the node that hosts a queue's actor: a third node is started for the test (a real raylet,
 * {@link ThirdNode}) and killed with SIGKILL, raylet, object store and worker JVMs at once, as a
 * crashed machine would be.
 */
@EnabledIfSystemProperty(named = RayTestCluster.ADDRESS_PROPERTY, matches = ".+",
        disabledReason = RayTestCluster.SKIP_REASON)
@ExtendWith(RayDriver.class)
class NodeLossTest {
    private static String namespace;

    @BeforeAll
    static void chooseNamespace() {
        namespace = RayTestCluster.freshNamespace("node-loss");
    }

    @Test
    @Timeout(240)
    void losingTheActorsNodeEndsBlockedAndLaterCallsWithQueueClosedException() throws Exception {
        ThirdNode node = ThirdNode.start(90);
        try {
            QueueDescriptor d = QueueDescriptor.ray("doomed").withOption(RayQueueOptions.RAY_NAMESPACE, namespace)
                    .withOption(RayQueueOptions.RESOURCES, ThirdNode.RESOURCE + "=1");
            d.open(Codecs.string()).size();
            // A second handle, with a short call timeout, for the calls made after the loss.
            MessageQueue<String> q = d.withOption(RayQueueOptions.CALL_TIMEOUT_MILLIS, "5000").open(Codecs.string());
            q.putAll(List.of("a", "b", "c"));
            assertEquals("a", q.get(Duration.ofSeconds(10)));
            MessageQueue<String> waiter = d.withId("doomed-wait").open(Codecs.string());
            CompletableFuture<String> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.get(Duration.ofSeconds(180));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(1000);
            assertTrue(!blocked.isDone(), "consumer is waiting inside the other actor");

            node.close();
            long t0 = System.nanoTime();
            ExecutionException ended = assertThrows(ExecutionException.class, () -> blocked.get(150, TimeUnit.SECONDS));
            long detectSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            assertInstanceOf(QueueClosedException.class, ended.getCause(),
                    "a waiting consumer learns that the queue is gone");
            assertTrue(ended.getCause().getMessage().contains("actor is dead"), ended.getCause().getMessage());
            System.out.println("node loss noticed by the waiting consumer after " + detectSeconds + " s");

            QueueException gone = awaitGone(q, 150);
            assertInstanceOf(QueueClosedException.class, gone, "the queue that held b and c is reported gone");
            System.out.println("an idle handle saw the loss after " + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) + " s");
            // The name is free again, but the only node with the actor's resource is gone: opening
            // creates an actor Ray cannot place, and the first call gives up after callTimeoutMillis.
            // Ray frees the dead actor's name a moment after it marks the actor dead: until then the
            // open finds the dead actor and says so, which is a clear error too; wait for the name.
            QueueDescriptor impatient = d.withOption(RayQueueOptions.CALL_TIMEOUT_MILLIS, "5000");
            long nameFreeBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            QueueException reopen;
            for (;;) {
                reopen = assertThrows(QueueException.class, () -> impatient.open(Codecs.string()).size());
                if (!reopen.getMessage().contains("actor is dead") || System.nanoTime() - nameFreeBy > 0) {
                    break;
                }
                Thread.sleep(1000);
            }
            assertTrue(reopen.getMessage().contains("did not answer"), reopen.getMessage());
            // The unplaceable actor would wait for such a node for ever: remove it.
            Ray.<BaseActorHandle>getActor(RayQueueOptions.of(d).actorName(), namespace).ifPresent(a -> a.kill(true));
        } finally {
            node.close();
        }
    }

    /**
     * Calls {@code size()} until it fails with QueueClosedException; until Ray has marked the actor
     * dead, a call waits for the actor and gives up after the handle's call timeout.
     */
    private static QueueException awaitGone(MessageQueue<String> q, int seconds) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        QueueException last = null;
        while (System.nanoTime() - giveUp < 0) {
            try {
                q.size();
                throw new AssertionError("a queue on a lost node answered");
            } catch (QueueClosedException e) {
                return e;
            } catch (QueueException e) {
                assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
                last = e;
            }
        }
        throw new AssertionError("queue not reported gone after " + seconds + " s", last);
    }
}
