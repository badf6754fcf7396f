package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueEmptyException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code conduit peek NAME}: prints the head item without taking it. */
@Command(name = "peek", mixinStandardHelpOptions = true,
        description = "Print the item at the head of a queue without taking it (exit 4 if the queue is empty).")
final class PeekCommand extends QueueCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The queue id.")
    String name;

    @Option(names = "--codec", defaultValue = "string",
            description = "How items are encoded: string or bytes (default: ${DEFAULT-VALUE}).")
    ItemCodec codec;

    @Override
    int run(PrintWriter out) {
        try (MessageQueue<Object> q = codec.open(address.existing(name))) {
            Object head = q.peek().orElseThrow(() -> new QueueEmptyException("queue "
                    + q.descriptor().qualifiedName() + " is empty"));
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("queue", q.descriptor().qualifiedName());
                o.put("item", codec.toJson(head));
                printJson(out, o);
            } else {
                printItems(out, codec, List.of(head));
            }
            return Conduit.OK;
        }
    }
}
