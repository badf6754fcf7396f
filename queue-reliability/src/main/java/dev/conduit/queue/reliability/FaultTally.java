package dev.conduit.queue.reliability;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one fault loop did and found: trials run, faults injected, items acknowledged to their
 * producer, items lost and duplicated, and the loop's own details; plus every way the run broke
 * the backend's documented guarantee. Immutable.
 *
 * @param loop the loop's name ({@code shm}, {@code rpc-durable}, {@code rpc-in-memory})
 * @param trials trials run
 * @param faults faults injected (processes killed with SIGKILL)
 * @param acknowledged items whose put returned normally
 * @param lost acknowledged items that no consumer received
 * @param duplicated deliveries beyond the first of an item
 * @param details further counts, in print order
 * @param violations how the documented guarantee was broken; empty when it held
 */
public record FaultTally(String loop, int trials, int faults, long acknowledged, long lost, long duplicated,
        Map<String, Long> details, List<String> violations) {

    /** Copies the maps and lists. */
    public FaultTally {
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
        violations = List.copyOf(violations);
    }

    /** @return whether the documented guarantee held */
    public boolean guaranteeHeld() {
        return violations.isEmpty();
    }

    /**
     * The one-line summary every fault loop prints:
     * {@code loop=.. trials=.. faults=.. lost=.. duplicated=.. acknowledged=..} then the details
     * and the verdict.
     *
     * @return the line
     */
    public String line() {
        String extra = details.entrySet().stream().map(e -> " " + e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining());
        return "loop=" + loop + " trials=" + trials + " faults=" + faults + " lost=" + lost + " duplicated="
                + duplicated + " acknowledged=" + acknowledged + extra + " guarantee="
                + (guaranteeHeld() ? "held" : "BROKEN " + violations);
    }
}
