package dev.conduit.queue.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codecs;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RpcSmokeTest {
    @Test
    void putThenGetThroughARealServer() throws Exception {
        try (QueueServer server = QueueServer.builder().port(0).start();
                MessageQueue<String> q = QueueDescriptor.rpc("127.0.0.1", server.port(), "smoke").open(Codecs.string())) {
            q.put("a");
            q.putAll(List.of("b", "c"));
            assertEquals("a", q.get());
            assertEquals(List.of("b", "c"), q.getBatch(10, Duration.ofSeconds(1)));
            assertEquals(0, q.size());
        }
    }
}
