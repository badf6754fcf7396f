package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueEmptyException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code conduit peek NAME}: prints the head item without taking it. */
@Command(name = "peek", mixinStandardHelpOptions = true,
        description = "Print the item at the head of a queue without taking it (exit 4 if the queue is empty).")
final class PeekCommand extends NamedQueueCommand {
    @Option(names = "--codec", defaultValue = "string",
            description = "How items are encoded: string or bytes (default: ${DEFAULT-VALUE}).")
    ItemCodec codec;

    @Override
    int run(PrintWriter out) {
        try (MessageQueue<Object> q = codec.open(address.existing(name))) {
            Object head = q.peek().orElseThrow(() -> new QueueEmptyException("queue "
                    + q.descriptor().qualifiedName() + " is empty"));
            printOutcome(out, q.descriptor().qualifiedName(), "item", codec.toJson(head),
                    () -> printItems(out, codec, List.of(head)));
            return Conduit.OK;
        }
    }
}
