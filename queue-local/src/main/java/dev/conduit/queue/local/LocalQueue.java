package dev.conduit.queue.local;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
import java.util.concurrent.atomic.LongAdder;

/**
 * One named in-JVM queue, shared by every handle that opens it: the ring, the wait signals, and the
 * counters. Takers wait on {@link #notEmpty}; puts of one item on {@link #notFull}, each of which a
 * take wakes one of (one freed slot is of use to one of them; waking them all on every take is a
 * stampede that costs more than the take); batch puts on {@link #notFullForBatch}, all of which a
 * take wakes, since only each batch knows whether the room now suffices. Thread-safe.
 */
final class LocalQueue {
    final QueueDescriptor descriptor;
    final MpmcRing ring;
    final Backpressure backpressure;
    final Signal notEmpty = new Signal();
    final Signal notFull = new Signal();
    final Signal notFullForBatch = new Signal();
    final MetricsCounters counters = new MetricsCounters();
    final LongAdder cleared = new LongAdder();
    volatile boolean destroyed;

    LocalQueue(QueueDescriptor descriptor) {
        this.descriptor = descriptor;
        this.ring = new MpmcRing(descriptor.capacity());
        this.backpressure = Backpressure.parse(descriptor.option("backpressure", null));
    }

    /** Wakes everybody, for close and destroy. */
    void wakeAll() {
        notEmpty.signalAll();
        notFull.signalAll();
        notFullForBatch.signalAll();
    }
}
