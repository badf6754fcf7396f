package dev.conduit.queue.tck;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import java.time.Duration;

/**
 * The second JVM of the suite's cross-process check: it opens two queues from descriptor JSON given
 * on its command line, takes {@code count} items from the first and answers each on the second,
 * replacing {@code "ping"} with {@code "pong"}. Exits 0 on success, 1 on any failure (printed to
 * standard error).
 */
public final class TckPeer {
    private TckPeer() {
    }

    /**
     * Runs the peer.
     *
     * @param args request descriptor JSON, reply descriptor JSON, item count
     */
    public static void main(String[] args) {
        try (MessageQueue<String> requests = QueueDescriptor.fromJson(args[0]).open();
                MessageQueue<String> replies = QueueDescriptor.fromJson(args[1]).open()) {
            int count = Integer.parseInt(args[2]);
            for (int i = 0; i < count; i++) {
                String ping = requests.get(Duration.ofSeconds(30));
                replies.put(ping.replace("ping", "pong"), Duration.ofSeconds(30));
            }
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }
}
