package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code conduit clear NAME}: removes every item, keeps the queue. */
@Command(name = "clear", mixinStandardHelpOptions = true,
        description = "Remove every item from a queue; the queue stays (exit 3 if it does not exist).")
final class ClearCommand extends NamedQueueCommand {
    @Override
    int run(PrintWriter out) {
        try (MessageQueue<byte[]> q = openExisting()) {
            int removed = q.clear();
            String queue = q.descriptor().qualifiedName();
            printOutcome(out, queue, "cleared", removed, () -> out.println("cleared " + removed + " item"
                    + (removed == 1 ? "" : "s") + " from " + queue));
            return Conduit.OK;
        }
    }
}
