package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/**
 * The conformance suite against the {@code rpc} backend with {@code serverType=priority}: the
 * server holds the items in its in-JVM priority queues, so PRIORITY checks run too.
 */
class RpcPriorityConformanceTest extends RpcLoopbackConformance {
    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return rpcDescriptor(id, capacity).withOption("serverType", "priority");
    }
}
