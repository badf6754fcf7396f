package dev.conduit.queue.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueMetrics;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The common part of the inspection commands ({@code ls}, {@code stat}, {@code peek}, {@code put},
 * {@code get}, {@code clear}, {@code destroy}): where the queues are ({@link QueueAddress}), and
 * {@code --json}, which prints one JSON value on standard output instead of text.
 *
 * <p>Not thread-safe: one instance runs one command.
 */
abstract class QueueCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    QueueAddress address;

    @Option(names = "--json", description = "Print the result as one JSON value, for scripts.")
    boolean json;

    /**
     * Checks the address options, then runs the command.
     *
     * @return the exit code
     * @throws Exception what the command throws; {@link Conduit} turns it into one line and an exit code
     */
    @Override
    public final Integer call() throws Exception {
        address.validate();
        PrintWriter out = spec.commandLine().getOut();
        try {
            return run(out);
        } finally {
            out.flush();
        }
    }

    /**
     * Runs the command.
     *
     * @param out standard output
     * @return the exit code
     * @throws Exception on failure
     */
    abstract int run(PrintWriter out) throws Exception;

    /**
     * Prints a value as one line of JSON.
     *
     * @param out where to
     * @param value maps, lists, strings, numbers, booleans
     */
    static void printJson(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Prints items as text: each string on its own line, or the raw bytes.
     *
     * @param out standard output's writer (flushed first, then the bytes go to standard output)
     * @param codec how the items were decoded
     * @param items the items
     */
    static void printItems(PrintWriter out, ItemCodec codec, List<?> items) {
        out.flush();
        for (Object item : items) {
            byte[] bytes = codec.toOutput(item);
            System.out.write(bytes, 0, bytes.length);
        }
        System.out.flush();
    }

    /**
     * Prints the outcome of an operation on one queue: with {@code --json} the object
     * {@code {"queue": QUEUE, KEY: VALUE}}, else what {@code asText} prints.
     *
     * @param out standard output
     * @param queue the queue's qualified name
     * @param key the name of the outcome in JSON
     * @param value the outcome, as JSON shows it (maps, lists, strings, numbers, booleans)
     * @param asText prints the outcome as text, for a reader
     */
    void printOutcome(PrintWriter out, String queue, String key, Object value, Runnable asText) {
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("queue", queue);
            o.put(key, value);
            printJson(out, o);
        } else {
            asText.run();
        }
    }

    /**
     * A descriptor fit to print: a bearer token in it is replaced by {@code ***}.
     *
     * @param d the descriptor
     * @return the descriptor to show
     */
    static QueueDescriptor redacted(QueueDescriptor d) {
        return d.option("token", null) == null ? d : d.withOption("token", "***");
    }

    /**
     * A queue's state as a JSON object: its descriptor, capabilities and metrics.
     *
     * @param q the open queue
     * @return the object
     */
    static Map<String, Object> describe(MessageQueue<?> q) {
        QueueMetrics m = q.metrics();
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("size", m.size());
        metrics.put("capacity", m.capacity());
        metrics.put("utilization", m.utilization());
        metrics.put("puts", m.puts());
        metrics.put("gets", m.gets());
        metrics.put("rejected", m.rejected());
        metrics.put("dropped", m.dropped());
        metrics.put("cleared", m.cleared());
        metrics.put("waits", m.waits());
        metrics.put("bytesIn", m.bytesIn());
        metrics.put("bytesOut", m.bytesOut());
        metrics.put("maxItemBytes", m.maxItemBytes());
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("queue", q.descriptor().qualifiedName());
        o.put("descriptor", redacted(q.descriptor()).toMap());
        o.put("capabilities", new TreeSet<>(q.capabilities().stream().map(Capability::name).toList()));
        o.put("metrics", metrics);
        return o;
    }
}
