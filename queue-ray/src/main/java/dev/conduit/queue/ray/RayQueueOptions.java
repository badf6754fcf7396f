package dev.conduit.queue.ray;

import dev.conduit.queue.Backpressure;
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
 *   <tr><td>{@value #HOST}</td><td>none</td><td>the name of a shared actor that holds this queue
 *       beside others (one JVM for many queues); without it the queue has an actor of its own</td></tr>
 *   <tr><td>{@value #PIPELINE}</td><td>64</td><td>how many {@code put}/{@code putAll} calls without a
 *       timeout a handle may have sent and not yet heard back about; 0 makes every put wait for
 *       the actor's answer</td></tr>
 *   <tr><td>{@value #PREFETCH}</td><td>0</td><td>how many items a consuming handle takes per call
 *       and hands out one by one; 0 takes only what each call asks for (see docs/ray.md for what
 *       prefetching changes)</td></tr>
 * </table>
 *
 * @param rayNamespace the Ray namespace
 * @param actorName the actor's name in it: {@code <namespace>/<id>} of the descriptor, or
 *     {@code @host:<host>} for a queue on a shared host
 * @param queueName the queue's name inside its actor: {@code <namespace>/<id>}
 * @param host the shared host's name, or empty for an actor of its own
 * @param resources the actor's resources, unmodifiable
 * @param maxRestarts Ray's max restarts of the actor
 * @param waitThreads threads per waiting group
 * @param maxItemBytes the largest encoded item
 * @param callTimeoutMillis the grace on top of every call's own wait
 * @param pipeline the most unanswered pipelined put calls per handle; 0 for none
 * @param prefetch the items a consuming handle takes per call; 0 for no prefetching
 */
record RayQueueOptions(String rayNamespace, String actorName, String queueName, String host,
        Map<String, Double> resources, int maxRestarts, int waitThreads, int maxItemBytes, long callTimeoutMillis,
        int pipeline, int prefetch) {

    static final String RAY_NAMESPACE = "rayNamespace";
    static final String RESOURCES = "resources";
    static final String MAX_RESTARTS = "maxRestarts";
    static final String WAIT_THREADS = "waitThreads";
    static final String MAX_ITEM_BYTES = "maxItemBytes";
    static final String CALL_TIMEOUT_MILLIS = "callTimeoutMillis";
    static final String HOST = "host";
    static final String PIPELINE = "pipeline";
    static final String PREFETCH = "prefetch";
    /** Prefix of shared hosts' actor names; '@' never occurs in a descriptor's namespace or id. */
    static final String HOST_PREFIX = "@host:";

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
        if (Backpressure.parse(d.option("backpressure", null)) != Backpressure.BLOCK) {
            throw new IllegalArgumentException("ray queues support option 'backpressure' BLOCK only (a full queue makes "
                    + "producers wait or time out), not '" + d.option("backpressure", null) + "'");
        }
        String queueName = d.namespace() + "/" + d.id();
        String host = d.option(HOST, "");
        if (!host.isEmpty() && !host.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("option '" + HOST + "' must be 1-100 letters, digits, '.', '_' or '-', not '"
                    + host + "'");
        }
        return new RayQueueOptions(ns, host.isEmpty() ? queueName : HOST_PREFIX + host, queueName, host,
                resources(d.option(RESOURCES, "")),
                (int) range(d, MAX_RESTARTS, 0, -1, 1_000_000),
                (int) range(d, WAIT_THREADS, 32, 1, 1024),
                (int) range(d, MAX_ITEM_BYTES, 8 << 20, 1, Integer.MAX_VALUE - 64),
                range(d, CALL_TIMEOUT_MILLIS, 60_000, 1, Long.MAX_VALUE / 4),
                (int) range(d, PIPELINE, 64, 0, 4096),
                (int) range(d, PREFETCH, 0, 0, 100_000));
    }

    /** @return whether the queue shares a host actor with other queues */
    boolean shared() {
        return !host.isEmpty();
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
