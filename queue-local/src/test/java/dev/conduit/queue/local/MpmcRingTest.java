package dev.conduit.queue.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ring holds exactly its capacity, whether or not that is a power of two (where a full ring is
 * told by a slot's sequence instead of by the consumer index), lap after lap.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MpmcRingTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 7, 8, 16, 17})
    void holdsExactlyItsCapacityInFifoOrderLapAfterLap(int capacity) {
        MpmcRing ring = new MpmcRing(capacity);
        int next = 0;
        int expected = 0;
        for (int lap = 0; lap < 5; lap++) {
            for (int i = 0; i < capacity; i++) {
                assertTrue(ring.offer(next++), "offer " + i + " of lap " + lap);
            }
            assertFalse(ring.offer(-1), "a full ring of capacity " + capacity + " accepted one more");
            assertEquals(capacity, ring.size());
            // Take part of it, refill, so that the indices move off lap boundaries.
            int take = Math.max(1, capacity / 2);
            for (int i = 0; i < take; i++) {
                assertEquals(expected++, ring.poll());
            }
            for (int i = 0; i < take; i++) {
                assertTrue(ring.offer(next++));
            }
            assertFalse(ring.offer(-1));
            for (int i = 0; i < capacity; i++) {
                assertEquals(expected++, ring.poll());
            }
            assertNull(ring.poll());
            assertTrue(ring.isEmpty());
        }
        assertEquals(next, ring.producerCount());
        assertEquals(next, ring.consumerCount());
    }

    @Test
    void clearEmptiesAFullPowerOfTwoRingAndItFillsAgainToCapacity() {
        MpmcRing ring = new MpmcRing(8);
        for (int i = 0; i < 8; i++) {
            assertTrue(ring.offer(i));
        }
        assertEquals(8, ring.clear());
        for (int i = 0; i < 8; i++) {
            assertTrue(ring.offer(100 + i));
        }
        assertFalse(ring.offer(-1));
        assertEquals(100, ring.poll());
    }

    @Test
    void pollWhenNoRoomForTakesTheHeadOnlyWhileThePutWouldNotFit() {
        MpmcRing ring = new MpmcRing(3);
        assertNull(ring.pollWhenNoRoomFor(4), "an empty ring has nothing to drop");
        assertTrue(ring.offer(0));
        assertTrue(ring.offer(1));
        assertNull(ring.pollWhenNoRoomFor(1), "room for one: nothing to drop");
        assertEquals(0, ring.pollWhenNoRoomFor(2));
        assertNull(ring.pollWhenNoRoomFor(2));
        assertEquals(1, ring.pollWhenNoRoomFor(3));
        assertNull(ring.pollWhenNoRoomFor(3));
        assertTrue(ring.offerAll(java.util.List.of(2, 3, 4)));
        assertEquals(2, ring.pollWhenNoRoomFor(1));
        assertNull(ring.pollWhenNoRoomFor(1));
        assertEquals(2, ring.size());
    }
}
