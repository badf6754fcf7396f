package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.codec.Codecs;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code conduit destroy NAME}: removes the queue itself (the shm file, the server's queue). */
@Command(name = "destroy", mixinStandardHelpOptions = true,
        description = {"Remove a queue and its items (exit 3 if it does not exist).",
            "Removes the shm file, or the queue on the server; processes that still have it open",
            "get QueueClosedException."})
final class DestroyCommand extends QueueCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The queue id.")
    String name;

    @Override
    int run(PrintWriter out) {
        MessageQueue<byte[]> q = address.existing(name).open(Codecs.bytes());
        String qualified = q.descriptor().qualifiedName();
        q.destroy();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("queue", qualified);
            o.put("destroyed", true);
            printJson(out, o);
        } else {
            out.println("destroyed " + qualified);
        }
        return Conduit.OK;
    }
}
