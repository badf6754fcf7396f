package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueEmptyException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code conduit get NAME}: takes items from a queue and prints them. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Take items from a queue and print them.",
            "Takes up to --count items, a string per line (or raw bytes with --codec bytes).",
            "Exit 4 if no item arrives within --timeout."})
final class GetCommand extends NamedQueueCommand {
    @Option(names = "--codec", defaultValue = "string",
            description = "How items are encoded: string or bytes (default: ${DEFAULT-VALUE}).")
    ItemCodec codec;

    @Option(names = {"-n", "--count"}, defaultValue = "1",
            description = "Most items to take; takes what is there, at least one (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--timeout", defaultValue = "0s", converter = DurationConverter.class,
            description = "How long to wait for the first item (250ms, 5s, ...; default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    int run(PrintWriter out) throws InterruptedException {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1, not " + count);
        }
        try (MessageQueue<Object> q = codec.open(address.existing(name))) {
            List<Object> items = q.getBatch(count, timeout);
            if (items.isEmpty()) {
                throw new QueueEmptyException("queue " + q.descriptor().qualifiedName() + " is empty"
                        + (timeout.isZero() ? "" : " (waited " + timeout.toMillis() + " ms)"));
            }
            printOutcome(out, q.descriptor().qualifiedName(), "items", items.stream().map(codec::toJson).toList(),
                    () -> printItems(out, codec, items));
            return Conduit.OK;
        }
    }
}
