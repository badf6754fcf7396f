package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Queue-contract checks of the journal that the conformance suite does not make. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalContractTest {
    @TempDir
    Path dir;

    private QueueDescriptor journal(String id) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(2).withOption("dir", dir.toString());
    }

    /** A handle waiting in get() when another handle of the same journal destroys it must not wait on forever. */
    @Test
    void destroyByAnotherHandleEndsAWaitingGet() throws Exception {
        QueueDescriptor d = journal("destroyed-get");
        MessageQueue<String> waiter = d.open(Codecs.string());
        MessageQueue<String> destroyer = d.open(Codecs.string());
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return waiter.get();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(waitForWaiting(got));
        destroyer.destroy();
        ExecutionException e = assertThrows(ExecutionException.class, () -> got.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        waiter.close();
    }

    /** A handle waiting in put() on a full journal when another handle destroys it must not wait on forever. */
    @Test
    void destroyByAnotherHandleEndsAWaitingPut() throws Exception {
        QueueDescriptor d = journal("destroyed-put");
        MessageQueue<String> waiter = d.open(Codecs.string());
        MessageQueue<String> destroyer = d.open(Codecs.string());
        waiter.putAll(java.util.List.of("a", "b"));
        CompletableFuture<Void> put = CompletableFuture.runAsync(() -> {
            try {
                waiter.put("c");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(waitForWaiting(put));
        destroyer.destroy();
        ExecutionException e = assertThrows(ExecutionException.class, () -> put.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof QueueClosedException, e.getCause().toString());
        waiter.close();
    }

    /** @return true once the call has been running a while without ending (it is waiting) */
    private static boolean waitForWaiting(CompletableFuture<?> call) throws InterruptedException {
        Thread.sleep(200); // the call cannot signal that it waits; it must merely not have ended
        return !call.isDone();
    }
}
