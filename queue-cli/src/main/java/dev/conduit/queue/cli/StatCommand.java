package dev.conduit.queue.cli;

import dev.conduit.queue.Capability;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueMetrics;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.TreeSet;
import picocli.CommandLine.Command;

/** {@code conduit stat NAME}: one queue's descriptor, capabilities and metrics. */
@Command(name = "stat", mixinStandardHelpOptions = true,
        description = "Show a queue's descriptor, capabilities and metrics (exit 3 if it does not exist).")
final class StatCommand extends NamedQueueCommand {
    @Override
    int run(PrintWriter out) {
        try (MessageQueue<byte[]> q = openExisting()) {
            if (json) {
                printJson(out, describe(q));
                return Conduit.OK;
            }
            QueueMetrics m = q.metrics();
            out.println(q.descriptor().qualifiedName());
            out.printf(Locale.ROOT, "  size          %d of %d (%.1f%% full)%n", m.size(), m.capacity(),
                    m.utilizationPercent());
            out.printf(Locale.ROOT, "  puts / gets   %d / %d%n", m.puts(), m.gets());
            out.printf(Locale.ROOT, "  rejected      %d   dropped %d   cleared %d   waits %d%n", m.rejected(),
                    m.dropped(), m.cleared(), m.waits());
            out.printf(Locale.ROOT, "  bytes in/out  %d / %d   largest item %d bytes%n", m.bytesIn(), m.bytesOut(),
                    m.maxItemBytes());
            out.println("  capabilities  " + String.join(" ",
                    new TreeSet<>(q.capabilities().stream().map(Capability::name).toList())));
            out.println("  descriptor    " + redacted(q.descriptor()).toJson());
            return Conduit.OK;
        }
    }
}
