package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The conformance suite against type {@code existing}: an {@link ArrayBlockingQueue} the
 * application already had, wrapped with {@link QueueDescriptor#fromExisting}. The backend has
 * neither PRIORITY nor TRANSACTIONS, so those checks are skipped.
 */
class ExistingConformanceTest extends QueueConformanceTest {

    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return QueueDescriptor.fromExisting(new ArrayBlockingQueue<>(capacity), id);
    }
}
