/** The in-JVM backend, type {@code local}. */
module dev.conduit.queue.local {
    requires dev.conduit.queue;

    exports dev.conduit.queue.local;

    provides dev.conduit.queue.spi.QueueBackend with dev.conduit.queue.local.LocalBackend;
}
