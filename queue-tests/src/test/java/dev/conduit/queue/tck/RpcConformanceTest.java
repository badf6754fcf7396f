package dev.conduit.queue.tck;

import dev.conduit.queue.QueueDescriptor;

/**
 * The conformance suite against the {@code rpc} backend, queues held in the server's in-JVM
 * {@code local} queues.
 */
class RpcConformanceTest extends RpcLoopbackConformance {
    @Override
    protected QueueDescriptor descriptor(String id, int capacity) {
        return rpcDescriptor(id, capacity);
    }
}
