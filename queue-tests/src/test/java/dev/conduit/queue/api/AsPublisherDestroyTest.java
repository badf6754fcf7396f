package dev.conduit.queue.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;

/**
 * A queue destroyed through ANOTHER handle ends a subscriber of {@code asPublisher()} on this one
 * even when it has no demand left (Reactive Streams rule 1.5: the terminal signal needs no
 * demand): on {@code local} and {@code priority}, every call of this handle throws
 * {@code QueueClosedException} after such a destroy, so its stream has ended.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AsPublisherDestroyTest {

    static Stream<Arguments> backends() {
        Function<String, QueueDescriptor> local = id -> QueueDescriptor.local(id).withCapacity(8);
        Function<String, QueueDescriptor> priority = id -> QueueDescriptor.priority(id).withCapacity(8);
        return Stream.of(Arguments.of("local", local), Arguments.of("priority", priority));
    }

    /** Records the signals; counts down on a terminal one. */
    private static final class Recorder implements Flow.Subscriber<Long> {
        final long initialRequest;
        final List<Long> got = new CopyOnWriteArrayList<>();
        final CountDownLatch delivered;
        final CountDownLatch terminated = new CountDownLatch(1);
        final List<String> terminal = new CopyOnWriteArrayList<>();

        Recorder(long initialRequest) {
            this.initialRequest = initialRequest;
            this.delivered = new CountDownLatch((int) initialRequest);
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            if (initialRequest > 0) {
                s.request(initialRequest);
            }
        }

        @Override
        public void onNext(Long item) {
            got.add(item);
            delivered.countDown();
        }

        @Override
        public void onError(Throwable t) {
            terminal.add("onError " + t);
            terminated.countDown();
        }

        @Override
        public void onComplete() {
            terminal.add("onComplete");
            terminated.countDown();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void destroyThroughAnotherHandleEndsASubscriberWithNoDemandLeft(String type,
            Function<String, QueueDescriptor> descriptor) throws Exception {
        QueueDescriptor d = descriptor.apply("publisher-destroyed-" + UUID.randomUUID());
        MessageQueue<Long> feed = d.open();
        try (MessageQueue<Long> view = d.open()) {
            feed.put(1L);
            feed.put(2L);
            Recorder r = new Recorder(1);
            view.asPublisher().subscribe(r);
            assertTrue(r.delivered.await(5, TimeUnit.SECONDS), "the requested item was not delivered");
            feed.destroy();
            assertTrue(r.terminated.await(5, TimeUnit.SECONDS),
                    type + ": no terminal signal within 5 s of another handle destroying the queue"
                            + " (the subscriber had no demand left)");
            assertEquals(List.of(1L), r.got);
            assertEquals(1, r.terminal.size(), "terminal signals: " + r.terminal);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void destroyThroughAnotherHandleEndsASubscriberThatNeverRequested(String type,
            Function<String, QueueDescriptor> descriptor) throws Exception {
        QueueDescriptor d = descriptor.apply("publisher-destroyed-idle-" + UUID.randomUUID());
        MessageQueue<Long> feed = d.open();
        try (MessageQueue<Long> view = d.open()) {
            feed.put(1L);
            view.size(); // opens this handle's store on the queue about to be destroyed
            Recorder r = new Recorder(0);
            view.asPublisher().subscribe(r);
            feed.destroy();
            assertTrue(r.terminated.await(5, TimeUnit.SECONDS),
                    type + ": no terminal signal within 5 s of another handle destroying the queue");
            assertEquals(List.of(), r.got);
        }
    }
}
