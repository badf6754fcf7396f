/** The in-JVM priority backend, type {@code priority}. */
module dev.conduit.queue.priority {
    requires dev.conduit.queue;

    exports dev.conduit.queue.priority;

    provides dev.conduit.queue.spi.QueueBackend with dev.conduit.queue.priority.PriorityBackend;
}
