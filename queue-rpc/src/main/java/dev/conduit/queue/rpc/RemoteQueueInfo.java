package dev.conduit.queue.rpc;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;

/**
 * One queue a server hosts, as {@link RpcBackend#listQueues(QueueDescriptor)} reports it.
 *
 * @param descriptor the descriptor the queue was created from, with its server-side type
 * @param serverType what holds the items: {@code local}, {@code priority} or {@code journal}
 * @param metrics the queue's counters when listed
 */
public record RemoteQueueInfo(QueueDescriptor descriptor, String serverType, QueueMetrics metrics) {
}
