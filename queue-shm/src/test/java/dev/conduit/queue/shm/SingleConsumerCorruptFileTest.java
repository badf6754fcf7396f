package dev.conduit.queue.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.QueueDescriptor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Every check of {@link CorruptFileTest} on the dense layout of a one-to-one file
 * ({@code consumers=single}, layout version 3), plus the words only that layout has.
 */
class SingleConsumerCorruptFileTest extends CorruptFileTest {

    @Override
    QueueDescriptor queue(String id) {
        return super.queue(id).withOption("producers", "single").withOption("consumers", "single");
    }

    @Override
    RingLayout layout() {
        return RingLayout.of(8, 64, 1, true, true);
    }

    @Test
    void aDenseFileClaimingAnOlderLayoutVersionIsRefused() throws Exception {
        Path f = copy(pristine(), "older");
        overwrite(f, RingLayout.VERSION_OFFSET, nativeLong(RingLayout.LAYOUT_VERSION_SINGLE_PRODUCER));
        String message = refusal("older").getMessage();
        assertTrue(message.contains("consumer mode"), message);
    }

    @Test
    void aDamagedConsumerModeWordIsRefused() throws Exception {
        Path f = copy(pristine(), "mode");
        overwrite(f, RingLayout.CONSUMERS_OFFSET, nativeLong(7));
        String message = refusal("mode").getMessage();
        assertTrue(message.contains("consumer mode 7"), message);
    }

    @Test
    void aClaimedWordOutsideTheIndicesIsRefused() throws Exception {
        Path f = copy(pristine(), "claimed");
        overwrite(f, layout().laneOffset(0) + RingLayout.CONSUMER_CLAIMED, nativeLong(1000));
        String message = refusal("claimed").getMessage();
        assertTrue(message.contains("consistent") || message.contains("indices") || message.contains("index"),
                message);
    }

    @Test
    void aSixtyFourByteItemTakesEightyBytesInTheDenseLayout() {
        RingLayout l = layout();
        assertEquals(80, l.slotLength());
        assertEquals(RingLayout.DENSE_SLOT_HEADER_LENGTH, l.payloadOffset());
        assertEquals(0, l.slotLength() % RingLayout.DENSE_SLOT_ALIGNMENT);
        assertEquals(l.slotsOffset() + 8L * 80, l.fileLength());
    }
}
