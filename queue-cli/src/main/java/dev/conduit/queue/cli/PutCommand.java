package dev.conduit.queue.cli;

import dev.conduit.queue.ItemTooLargeException;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.shm.RingLayout;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code conduit put NAME [ITEM...]}: puts items, given as arguments or read from standard input,
 * all at once (atomically). Creates the queue when it does not exist yet.
 */
@Command(name = "put", mixinStandardHelpOptions = true,
        description = {"Put items into a queue; creates the queue if it does not exist.",
            "Each ITEM argument is one item; without ITEM, standard input is one item (--lines: one",
            "item per line). All items go in atomically. Exit 4 if there is no room within --timeout."})
final class PutCommand extends NamedQueueCommand {
    private static final int MAX_STDIN_BYTES = Integer.MAX_VALUE - 16;

    @Parameters(index = "1..*", paramLabel = "ITEM", description = "Items (UTF-8 text).")
    List<String> items = new ArrayList<>();

    @Option(names = "--codec", defaultValue = "string",
            description = "How items are encoded: string or bytes (default: ${DEFAULT-VALUE}).")
    ItemCodec codec;

    @Option(names = "--lines", description = "Read standard input as text, one item per line.")
    boolean lines;

    @Option(names = "--priority", defaultValue = "128", description = "0-255, higher first (default: ${DEFAULT-VALUE}).")
    int priority;

    @Option(names = "--timeout", defaultValue = "0s", converter = DurationConverter.class,
            description = "How long to wait for room (250ms, 5s, ...; default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--capacity", description = "Capacity of a queue this creates (default: 1024).")
    Integer capacity;

    @Option(names = "--item-size", description = "shm: largest encoded item of a queue this creates (default: 4096).")
    Integer itemSize;

    @Option(names = "--lanes", description = "shm: priority lanes of a queue this creates, 1-256 (default: 1).")
    Integer lanes;

    @Option(names = "--durable", description = "shm: create a durable journal (Chronicle Queue, in --dir or "
            + "~/.conduit/journal) instead of a ring in shared memory.")
    boolean durable;

    @Option(names = "--server-type", description = "rpc: what holds the items of a queue this creates: local or "
            + "priority (default: local).")
    String serverType;

    @Override
    int run(PrintWriter out) throws IOException, InterruptedException {
        if (priority < 0 || priority > 255) {
            throw new IllegalArgumentException("--priority must be 0-255, not " + priority);
        }
        if (lines && !items.isEmpty()) {
            throw new IllegalArgumentException("--lines reads standard input; it does not go with ITEM arguments");
        }
        if (address.remote() ? itemSize != null || lanes != null || durable : serverType != null) {
            throw new IllegalArgumentException(address.remote() ? "--item-size, --lanes and --durable are for shm "
                    + "queues" : "--server-type is for queues on a server (--server)");
        }
        if (durable && (itemSize != null || lanes != null)) {
            throw new IllegalArgumentException("--item-size and --lanes are for rings; a --durable journal has neither");
        }
        List<Object> batch = input();
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("nothing to put: standard input had no lines");
        }
        // The options of a queue to create are checked even when the queue exists (and they go unused).
        QueueDescriptor toCreate = toCreate();
        if (!address.remote() && !durable && (itemSize != null || lanes != null)) {
            RingLayout.of(toCreate.capacity(), itemSize == null ? 1 : itemSize, lanes == null ? 1 : lanes);
        }
        if (serverType != null && !serverType.equals("local") && !serverType.equals("priority")) {
            throw new IllegalArgumentException("--server-type must be local or priority, not '" + serverType + "'");
        }
        Optional<QueueDescriptor> existing = address.find(name);
        if (existing.isEmpty() && batch.size() > toCreate.capacity()) {
            throw new IllegalArgumentException("a batch of " + batch.size() + " items can never fit a new queue of "
                    + "capacity " + toCreate.capacity() + " (--capacity); nothing was created");
        }
        QueueDescriptor d = existing.orElse(toCreate);
        try (MessageQueue<Object> q = codec.open(d)) {
            try {
                q.putAll(batch, priority, timeout);
            } catch (ItemTooLargeException e) {
                if (existing.isEmpty()) {
                    removeIfUntouched(q);
                }
                throw e;
            }
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("queue", q.descriptor().qualifiedName());
                o.put("put", batch.size());
                o.put("size", q.size());
                printJson(out, o);
            } else {
                out.println("put " + batch.size() + " item" + (batch.size() == 1 ? "" : "s") + " into "
                        + q.descriptor().qualifiedName() + " (now " + q.size() + " of " + q.capacity() + ")");
            }
            return Conduit.OK;
        }
    }

    /**
     * Destroys the queue this put created for a batch it then refused, unless another process has
     * put into it meanwhile. The limit is known only once the queue exists (a ring's slots, a
     * journal's documents, the server's limit, which only opening the queue reports), so the check
     * cannot come first as the capacity check does.
     */
    private static void removeIfUntouched(MessageQueue<Object> q) {
        QueueMetrics m = q.metrics();
        if (m.puts() == 0 && m.size() == 0) {
            q.destroy();
        }
    }

    private List<Object> input() throws IOException {
        List<Object> batch = new ArrayList<>();
        if (!items.isEmpty()) {
            for (String item : items) {
                batch.add(codec.fromInput(item.getBytes(StandardCharsets.UTF_8)));
            }
        } else if (lines) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                batch.add(codec.fromInput(line.getBytes(StandardCharsets.UTF_8)));
            }
        } else {
            byte[] all = System.in.readNBytes(MAX_STDIN_BYTES);
            batch.add(codec.fromInput(codec == ItemCodec.STRING ? withoutFinalNewline(all) : all));
        }
        return batch;
    }

    /** {@code echo text | conduit put q} puts "text", not "text\n". */
    private static byte[] withoutFinalNewline(byte[] b) {
        int n = b.length;
        if (n > 0 && b[n - 1] == '\n') {
            n--;
            if (n > 0 && b[n - 1] == '\r') {
                n--;
            }
        }
        return java.util.Arrays.copyOf(b, n);
    }

    private QueueDescriptor toCreate() {
        QueueDescriptor d = address.remote() ? address.rpc(name) : durable ? address.journal(name) : address.shm(name);
        if (capacity != null) {
            d = d.withCapacity(capacity);
        }
        if (itemSize != null) {
            d = d.withOption("itemSize", itemSize.toString());
        }
        if (lanes != null) {
            d = d.withOption("lanes", lanes.toString());
        }
        if (serverType != null) {
            d = d.withOption("serverType", serverType);
        }
        return d;
    }
}
