package dev.conduit.queue.ray;

import dev.conduit.queue.QueueDescriptor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The descriptor options of the {@code ray} backend, read and checked once per open.
 *
 * <table>
 *   <caption>options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@value #RAY_NAMESPACE}</td><td>{@code conduit}</td><td>the Ray namespace of the
 *       actor; every driver and worker finds it there whatever its own namespace</td></tr>
 *   <tr><td>{@value #RESOURCES}</td><td>none</td><td>actor resources, {@code name=amount,...},
 *       for example {@code CPU=0.5,conduit_node_b=1} to place the actor</td></tr>
 *   <tr><td>{@value #MAX_RESTARTS}</td><td>0</td><td>how often Ray restarts a dead actor (it
 *       restarts empty: items are not kept)</td></tr>
 *   <tr><td>{@value #WAIT_THREADS}</td><td>32</td><td>threads for waiting consumers, and as many
 *       for waiting producers, in the actor</td></tr>
 *   <tr><td>{@value #MAX_ITEM_BYTES}</td><td>8 MiB</td><td>the largest encoded item</td></tr>
 *   <tr><td>{@value #CALL_TIMEOUT_MILLIS}</td><td>60000</td><td>how long a client waits for an
 *       actor's answer beyond the wait it asked for, before it reports the actor unreachable</td></tr>
 * </table>
 *
 * @param rayNamespace the Ray namespace
 * @param actorName the actor's name in it: {@code <namespace>/<id>} of the descriptor
 * @param resources the actor's resources, unmodifiable
 * @param maxRestarts Ray's max restarts of the actor
 * @param waitThreads threads per waiting group
 * @param maxItemBytes the largest encoded item
 * @param callTimeoutMillis the grace on top of every call's own wait
 */
record RayQueueOptions(String rayNamespace, String actorName, Map<String, Double> resources, int maxRestarts,
        int waitThreads, int maxItemBytes, long callTimeoutMillis) {

    static final String RAY_NAMESPACE = "rayNamespace";
    static final String RESOURCES = "resources";
    static final String MAX_RESTARTS = "maxRestarts";
    static final String WAIT_THREADS = "waitThreads";
    static final String MAX_ITEM_BYTES = "maxItemBytes";
    static final String CALL_TIMEOUT_MILLIS = "callTimeoutMillis";

    /**
     * Reads a descriptor's options.
     *
     * @param d the descriptor
     * @return the options
     * @throws IllegalArgumentException naming the option when one is malformed
     */
    static RayQueueOptions of(QueueDescriptor d) {
        String ns = d.option(RAY_NAMESPACE, "conduit");
        if (ns.isBlank()) {
            throw new IllegalArgumentException("option '" + RAY_NAMESPACE + "' is blank");
        }
        return new RayQueueOptions(ns, d.namespace() + "/" + d.id(), resources(d.option(RESOURCES, "")),
                (int) range(d, MAX_RESTARTS, 0, -1, 1_000_000),
                (int) range(d, WAIT_THREADS, 32, 1, 1024),
                (int) range(d, MAX_ITEM_BYTES, 8 << 20, 1, Integer.MAX_VALUE - 64),
                range(d, CALL_TIMEOUT_MILLIS, 60_000, 1, Long.MAX_VALUE / 4));
    }

    private static long range(QueueDescriptor d, String key, long fallback, long min, long max) {
        long v = d.longOption(key, fallback);
        if (v < min || v > max) {
            throw new IllegalArgumentException("option '" + key + "' must be " + min + ".." + max + ", not " + v);
        }
        return v;
    }

    private static Map<String, Double> resources(String spec) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            String name = eq < 0 ? "" : part.substring(0, eq).trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException("option '" + RESOURCES + "' must be name=amount,..., not '"
                        + spec + "'");
            }
            try {
                double amount = Double.parseDouble(part.substring(eq + 1).trim());
                if (!(amount >= 0) || Double.isInfinite(amount)) {
                    throw new NumberFormatException();
                }
                out.put(name, amount);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("option '" + RESOURCES + "': the amount of '" + name
                        + "' must be a non-negative number");
            }
        }
        return Collections.unmodifiableMap(out);
    }
}
