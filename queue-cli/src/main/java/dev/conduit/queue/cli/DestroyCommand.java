package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code conduit destroy NAME}: removes the queue itself (the shm file, the server's queue). */
@Command(name = "destroy", mixinStandardHelpOptions = true,
        description = {"Remove a queue and its items (exit 3 if it does not exist).",
            "Removes the shm file, or the queue on the server; processes that still have it open",
            "get QueueClosedException."})
final class DestroyCommand extends NamedQueueCommand {
    @Override
    int run(PrintWriter out) {
        MessageQueue<byte[]> q = openExisting();
        String qualified = q.descriptor().qualifiedName();
        q.destroy();
        printOutcome(out, qualified, "destroyed", true, () -> out.println("destroyed " + qualified));
        return Conduit.OK;
    }
}
