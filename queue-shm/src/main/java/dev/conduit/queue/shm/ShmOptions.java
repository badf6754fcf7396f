package dev.conduit.queue.shm;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.spi.IdleStrategy;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The descriptor options of an {@code shm} queue, parsed and checked once. Immutable.
 *
 * @param dir where the file lives (option {@code dir})
 * @param path the file
 * @param layout its geometry (capacity, option {@code itemSize}, option {@code lanes}), producer
 *     mode (option {@code producers}: {@code multi}, the default, or {@code single}) and consumer mode
 *     (option {@code consumers}: {@code multi}, the default, or {@code single}, which needs
 *     {@code producers=single} and refuses {@code backpressure=DROP_OLDEST})
 * @param idle how waiters pass time (option {@code idle}: {@code backoff} or {@code busy-spin})
 * @param backpressure what a full queue does to a put (option {@code backpressure})
 * @param stallTimeoutNanos how long an untagged claim may stall before it is taken over (option
 *     {@code stallTimeoutMs})
 * @param openTimeoutNanos how long to wait for another process to finish creating the file
 *     (option {@code openTimeoutMs})
 * @param autoCleanup remove stale queue files of the directory on open (option {@code auto_cleanup})
 * @param durable whether the queue is the durable journal (option {@code durable})
 * @param confined whether this process's handles are thread-confined (option {@code threads}:
 *     {@code shared}, the default, or {@code confined}, which needs {@code producers=single} and
 *     {@code consumers=single}; see docs/shm.md, "Thread-confined handles")
 */
record ShmOptions(Path dir, Path path, RingLayout layout, IdleStrategy.Kind idle, Backpressure backpressure,
        long stallTimeoutNanos, long openTimeoutNanos, boolean autoCleanup, boolean durable, boolean confined) {
    private static final Logger LOG = LoggerFactory.getLogger(ShmOptions.class);

    /** The default largest encoded item, in bytes. */
    static final long DEFAULT_ITEM_SIZE = 4096;
    static final Set<String> KNOWN = Set.of("dir", "itemSize", "lanes", "idle", "backpressure", "stallTimeoutMs",
            "openTimeoutMs", "auto_cleanup", "durable", "fsync", "rollCycle", "broadcast", "producers", "consumers",
            "threads");

    /**
     * Reads a descriptor's options.
     *
     * @param d the descriptor
     * @return the options
     * @throws IllegalArgumentException naming the option whose value is unusable
     */
    static ShmOptions of(QueueDescriptor d) {
        for (String key : d.options().keySet()) {
            if (!KNOWN.contains(key)) {
                LOG.warn("queue {}: option '{}' is not an shm option and is ignored (known: {})", d.qualifiedName(),
                        key, KNOWN);
            }
        }
        String dirOption = d.option("dir", null);
        Path dir = dirOption == null ? ShmFile.defaultDir() : Path.of(dirOption);
        long itemSize = d.longOption("itemSize", DEFAULT_ITEM_SIZE);
        long lanes = d.longOption("lanes", 1);
        if (lanes < 1 || lanes > RingLayout.MAX_LANES) {
            throw new IllegalArgumentException("option 'lanes' must be 1 to " + RingLayout.MAX_LANES + ", not " + lanes);
        }
        String producers = d.option("producers", "multi").trim().toLowerCase(Locale.ROOT);
        if (!producers.equals("multi") && !producers.equals("single")) {
            throw new IllegalArgumentException("option 'producers' must be multi or single, not '"
                    + d.option("producers", "") + "'");
        }
        String consumers = d.option("consumers", "multi").trim().toLowerCase(Locale.ROOT);
        if (!consumers.equals("multi") && !consumers.equals("single")) {
            throw new IllegalArgumentException("option 'consumers' must be multi or single, not '"
                    + d.option("consumers", "") + "'");
        }
        RingLayout layout = RingLayout.of(d.capacity(), itemSize, (int) lanes, producers.equals("single"),
                consumers.equals("single"));
        String bp = d.option("backpressure", "BLOCK").trim().toUpperCase(Locale.ROOT).replace('-', '_');
        Backpressure backpressure;
        try {
            backpressure = Backpressure.valueOf(bp);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("option 'backpressure' must be BLOCK, REJECT or DROP_OLDEST, not '"
                    + d.option("backpressure", "") + "'");
        }
        if (backpressure == Backpressure.DROP_OLDEST && layout.singleConsumer()) {
            throw new IllegalArgumentException("option 'backpressure=DROP_OLDEST' cannot be used with 'consumers=single':"
                    + " dropping the oldest item is a take by the producer, and only the consuming process may take;"
                    + " use BLOCK or REJECT, or consumers=multi");
        }
        String threads = d.option("threads", "shared").trim().toLowerCase(Locale.ROOT);
        if (!threads.equals("shared") && !threads.equals("confined")) {
            throw new IllegalArgumentException("option 'threads' must be shared or confined, not '"
                    + d.option("threads", "") + "'");
        }
        boolean confined = threads.equals("confined");
        boolean durable = d.booleanOption("durable", false);
        if (confined && (durable || !layout.singleConsumer())) {
            throw new IllegalArgumentException("option 'threads=confined' needs 'producers=single' and"
                    + " 'consumers=single' (and no 'durable=true'): a confined handle gives up the turns that keep"
                    + " one process's threads apart, which only the one-to-one ring can do without; add those"
                    + " options, or use threads=shared");
        }
        long stallMs = d.longOption("stallTimeoutMs", 1000);
        long openMs = d.longOption("openTimeoutMs", 5000);
        if (stallMs < 1 || openMs < 0) {
            throw new IllegalArgumentException("options 'stallTimeoutMs' (>= 1) and 'openTimeoutMs' (>= 0) are "
                    + stallMs + " and " + openMs);
        }
        return new ShmOptions(dir, ShmFile.pathFor(dir, d.namespace(), d.id()), layout,
                IdleStrategy.Kind.parse(d.option("idle", null)), backpressure,
                TimeUnit.MILLISECONDS.toNanos(stallMs), TimeUnit.MILLISECONDS.toNanos(openMs),
                d.booleanOption("auto_cleanup", false), durable, confined);
    }

    /**
     * The lane of a priority: priorities 0–255 split evenly over the lanes, the highest
     * priorities in the highest lane, which consumers read first.
     *
     * @param priority 0–255
     * @return the lane
     */
    int laneFor(int priority) {
        return priority * layout.lanes() / 256;
    }
}
