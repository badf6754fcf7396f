package dev.conduit.queue.cli;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.codec.Codecs;
import picocli.CommandLine.Parameters;

/**
 * An inspection command on one queue, named by its first argument ({@code stat}, {@code peek},
 * {@code put}, {@code get}, {@code clear}, {@code destroy}).
 *
 * <p>Not thread-safe: one instance runs one command.
 */
abstract class NamedQueueCommand extends QueueCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The queue id.")
    String name;

    /**
     * Opens the named queue as it was created, items as raw bytes.
     *
     * @return the open queue; the caller closes (or destroys) it
     * @throws Conduit.QueueNotFoundException when it does not exist
     */
    MessageQueue<byte[]> openExisting() {
        return address.existing(name).open(Codecs.bytes());
    }
}
