package dev.conduit.queue.api;

import dev.conduit.queue.QueueDescriptor;

/** The Reactive Streams TCK of {@link AsPublisherTckTest} against {@code asPublisher()} on a {@code priority} queue. */
public class AsPublisherPriorityTckTest extends AsPublisherTckTest {

    @Override
    protected QueueDescriptor descriptor(String id) {
        return QueueDescriptor.priority(id).withCapacity(CAPACITY);
    }
}
