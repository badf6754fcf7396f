package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.codec.Codecs;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code conduit clear NAME}: removes every item, keeps the queue. */
@Command(name = "clear", mixinStandardHelpOptions = true,
        description = "Remove every item from a queue; the queue stays (exit 3 if it does not exist).")
final class ClearCommand extends QueueCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The queue id.")
    String name;

    @Override
    int run(PrintWriter out) {
        try (MessageQueue<byte[]> q = address.existing(name).open(Codecs.bytes())) {
            int removed = q.clear();
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("queue", q.descriptor().qualifiedName());
                o.put("cleared", removed);
                printJson(out, o);
            } else {
                out.println("cleared " + removed + " item" + (removed == 1 ? "" : "s") + " from "
                        + q.descriptor().qualifiedName());
            }
            return Conduit.OK;
        }
    }
}
