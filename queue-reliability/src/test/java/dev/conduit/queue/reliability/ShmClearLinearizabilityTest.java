package dev.conduit.queue.reliability;

import org.jetbrains.lincheck.datastructures.Operation;

/**
 * {@link ShmLinearizabilityTest} with {@code clear()} among the operations. It found that a clear
 * which polled until empty also took items put while it ran; the shared ring's clear now holds the
 * producer indices still for the CASes that claim everything present (SharedRing.clear).
 */
public class ShmClearLinearizabilityTest extends ShmLinearizabilityTest {

    /** Half the in-JVM budget: more histories with clear than the plain shm check runs. */
    @Override
    int budgetDivisor() {
        return 2;
    }

    @Operation
    public int clear() {
        return reader.clear();
    }
}
