package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.codec.Codec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal batch get whose codec cannot decode one item: as on the shared-memory ring
 * ({@code ShmStore.drainTo}), the bad item costs only itself. The healthy items taken with it are
 * returned, once each; the failure is thrown only by a get that took nothing else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JournalBatchDecodeFailureTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** Strings as UTF-8; decoding a string that starts with "bad" throws. */
    static final class RefusingCodec implements Codec<String> {
        @Override
        public String name() {
            return "refusing";
        }

        @Override
        public byte[] encode(String item) {
            return item.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes, int offset, int length) {
            String s = new String(bytes, offset, length, StandardCharsets.UTF_8);
            if (s.startsWith("bad")) {
                throw new IllegalArgumentException("cannot decode " + s);
            }
            return s;
        }
    }

    private MessageQueue<String> open(String id) {
        return QueueDescriptor.of("journal", id).withNamespace("j").withCapacity(100)
                .withOption("dir", dir.toString()).open(new RefusingCodec());
    }

    @Test
    void aBatchGetReturnsTheHealthyItemsTakenWithAnItemItCannotDecode() throws Exception {
        try (MessageQueue<String> q = open("middle")) {
            List<String> healthy = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                String item = i == 4 ? "bad-4" : "item-" + i;
                q.put(item);
                if (i != 4) {
                    healthy.add(item);
                }
            }
            List<String> got = new ArrayList<>();
            got.addAll(q.getBatch(9, WAIT));
            // Whatever the first batch left is taken by the next ones; the bad item is never retried.
            for (List<String> more; !(more = q.getBatch(9, Duration.ZERO)).isEmpty();) {
                got.addAll(more);
            }
            assertEquals(healthy, got, "each healthy item once, in order");
            assertEquals(0, q.size());
            q.put("after");
            assertEquals(List.of("after"), q.getBatch(9, WAIT), "the queue works on after the bad item");
        }
    }

    @Test
    void aBatchGetThatTookOnlyTheBadItemThrowsItsFailure() throws Exception {
        try (MessageQueue<String> q = open("alone")) {
            q.put("bad-only");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> q.getBatch(9, WAIT));
            assertEquals("cannot decode bad-only", e.getMessage());
            assertEquals(0, q.size(), "the bad item is skipped, as a single get skips it");
            q.put("after");
            assertEquals(List.of("after"), q.getBatch(9, WAIT));
        }
    }

    @Test
    void aBatchGetKeepsTheFirstFailureAndEveryHealthyItemWhenSeveralItemsAreBad() throws Exception {
        try (MessageQueue<String> q = open("several")) {
            for (String item : List.of("a", "bad-1", "b", "bad-2", "c")) {
                q.put(item);
            }
            List<String> got = new ArrayList<>(q.getBatch(5, WAIT));
            for (List<String> more; !(more = q.getBatch(5, Duration.ZERO)).isEmpty();) {
                got.addAll(more);
            }
            assertEquals(List.of("a", "b", "c"), got);
            assertEquals(0, q.size());
        }
    }
}
