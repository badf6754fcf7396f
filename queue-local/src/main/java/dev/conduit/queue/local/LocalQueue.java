package dev.conduit.queue.local;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.spi.MetricsCounters;
import dev.conduit.queue.spi.Signal;
import java.util.concurrent.atomic.LongAdder;

/**
 * One named in-JVM queue, shared by every handle that opens it: the ring, the two wait signals,
 * and the counters. Thread-safe.
 */
final class LocalQueue {
    final QueueDescriptor descriptor;
    final MpmcRing ring;
    final Backpressure backpressure;
    final Signal notEmpty = new Signal();
    final Signal notFull = new Signal();
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
    }
}
