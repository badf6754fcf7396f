package dev.conduit.queue.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code asBlockingQueue()} against the {@link BlockingQueue} contract, on local and priority. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockingQueueViewContractTest {

    static Stream<Arguments> backends() {
        Function<String, QueueDescriptor> local = id -> QueueDescriptor.local(id).withCapacity(4);
        Function<String, QueueDescriptor> priority = id -> QueueDescriptor.priority(id).withCapacity(4);
        return Stream.of(Arguments.of("local", local), Arguments.of("priority", priority));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void drainToTakesTheAvailableItemsEvenWithTheInterruptStatusSetAndKeepsIt(String type,
            Function<String, QueueDescriptor> descriptor) throws Exception {
        MessageQueue<Long> q = descriptor.apply("view-drain-" + UUID.randomUUID()).open();
        try {
            BlockingQueue<Long> view = q.asBlockingQueue();
            view.put(1L);
            view.put(2L);
            List<Long> out = new ArrayList<>();
            Thread.currentThread().interrupt();
            int n;
            boolean stillInterrupted;
            try {
                n = view.drainTo(out);
            } finally {
                stillInterrupted = Thread.interrupted();
            }
            assertTrue(stillInterrupted, "drainTo cleared the interrupt status");
            assertEquals(List.of(1L, 2L), out, type + ": drainTo left available items in the queue");
            assertEquals(2, n);
            assertEquals(0, q.size());
        } finally {
            q.destroy();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void edgeArgumentsFollowTheContract(String type, Function<String, QueueDescriptor> descriptor)
            throws Exception {
        MessageQueue<Long> q = descriptor.apply("view-edges-" + UUID.randomUUID()).open();
        try {
            BlockingQueue<Long> view = q.asBlockingQueue();
            assertThrows(NullPointerException.class, () -> view.offer(null));
            assertThrows(NullPointerException.class, () -> view.put(null));
            assertThrows(NullPointerException.class, () -> view.offer(null, 1, TimeUnit.SECONDS));
            assertThrows(NullPointerException.class, () -> view.add(null));
            assertNull(view.poll(-5, TimeUnit.SECONDS));
            assertEquals(4, view.remainingCapacity());
            assertTrue(view.offer(1L, -5, TimeUnit.SECONDS));
            assertEquals(0, view.drainTo(new ArrayList<>(), 0));
            assertEquals(0, view.drainTo(new ArrayList<>(), -3));
            assertThrows(IllegalArgumentException.class, () -> view.drainTo(view));
            assertThrows(IllegalArgumentException.class, () -> view.drainTo(view, 1));
            assertThrows(NullPointerException.class, () -> view.drainTo(null));
            assertEquals(1, view.size());
            assertTrue(view.offer(2L));
            assertTrue(view.offer(3L));
            assertTrue(view.offer(4L));
            assertEquals(0, view.remainingCapacity());
            assertFalse(view.offer(5L, -1, TimeUnit.MILLISECONDS));
            assertFalse(view.offer(5L, 20, TimeUnit.MILLISECONDS));
            assertThrows(IllegalStateException.class, () -> view.add(5L));
            List<Long> out = new ArrayList<>();
            assertEquals(2, view.drainTo(out, 2));
            assertEquals(List.of(1L, 2L), out);
            assertEquals(Long.valueOf(3L), view.remove());
            assertEquals(Long.valueOf(4L), view.element());
            assertEquals(Long.valueOf(4L), view.take());
            assertThrows(java.util.NoSuchElementException.class, view::remove);
        } finally {
            q.destroy();
        }
    }

    /** What a blocking call of the view did when interrupted while waiting. */
    private static String interruptedWhileWaiting(java.util.concurrent.Callable<?> call) throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> out = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                call.call();
                out.set("returned");
            } catch (InterruptedException e) {
                out.set(Thread.currentThread().isInterrupted() ? "InterruptedException with the status still set"
                        : "InterruptedException");
            } catch (Exception e) {
                out.set(e.toString());
            }
        });
        t.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        t.interrupt();
        t.join(5_000);
        return out.get();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void anInterruptedWaitThrowsInterruptedExceptionAndClearsTheStatus(String type,
            Function<String, QueueDescriptor> descriptor) throws Exception {
        MessageQueue<Long> q = descriptor.apply("view-interrupt-" + UUID.randomUUID()).open();
        try {
            BlockingQueue<Long> view = q.asBlockingQueue();
            assertEquals("InterruptedException", interruptedWhileWaiting(view::take), type + " take");
            assertEquals("InterruptedException", interruptedWhileWaiting(() -> view.poll(20, TimeUnit.SECONDS)),
                    type + " timed poll");
            for (long i = 0; i < 4; i++) {
                view.put(i);
            }
            assertEquals("InterruptedException", interruptedWhileWaiting(() -> {
                view.put(9L);
                return null;
            }), type + " put");
            assertEquals("InterruptedException", interruptedWhileWaiting(() -> view.offer(9L, 20, TimeUnit.SECONDS)),
                    type + " timed offer");
            assertEquals(4, view.size());
        } finally {
            q.destroy();
        }
    }
}
