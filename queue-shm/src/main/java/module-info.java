/**
 * The shared-memory backend, type {@code shm} (a cross-process ring in a memory-mapped file), and
 * the durable journal, type {@code journal} (Chronicle Queue, loaded only when used).
 */
module dev.conduit.queue.shm {
    requires dev.conduit.queue;
    requires static chronicle.queue;
    requires static chronicle.wire;
    requires static chronicle.bytes;
    requires static chronicle.core;

    exports dev.conduit.queue.shm;

    provides dev.conduit.queue.spi.QueueBackend with dev.conduit.queue.shm.ShmBackend,
            dev.conduit.queue.shm.JournalBackend;
}
