package dev.conduit.queue.cli;

import dev.conduit.queue.QueueDescriptor;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The demo's child process: one producer or one consumer. Hidden; started by {@code conduit demo}. */
@Command(name = "demo-worker", hidden = true, description = "A producer or consumer process of the demo.")
final class DemoWorker implements Callable<Integer> {
    @Option(names = "--role", required = true, description = "producer or consumer")
    String role;

    @Option(names = "--descriptor", required = true, description = "The queue, as descriptor JSON.")
    String descriptorJson;

    @Option(names = "--items", defaultValue = "0")
    long items;

    @Option(names = "--consumers", defaultValue = "1")
    int consumers;

    @Option(names = "--out", description = "Where a consumer writes what it saw.")
    Path out;

    @Option(names = "--demo-pid", defaultValue = "0", description = "The demo's process: when it is gone, stop.")
    long demoPid;

    private void demoGone(long pid) {
        System.err.println("conduit: the demo (process " + pid + ") is gone; its " + role + " stops");
        Runtime.getRuntime().halt(Conduit.FAILED);
    }

    @Override
    public Integer call() throws Exception {
        // A demo killed with SIGKILL (or crashed) cannot stop its workers: they stop themselves,
        // or a producer would wait for room for ever and a consumer run on without anyone reading.
        // The demo names itself: it may be gone before this JVM has started, and then parent() is init.
        Optional<ProcessHandle> demo = demoPid > 0 ? ProcessHandle.of(demoPid) : ProcessHandle.current().parent();
        if (demoPid > 0 && demo.isEmpty()) {
            demoGone(demoPid);
        }
        demo.ifPresent(h -> h.onExit().thenRun(() -> demoGone(h.pid())));
        QueueDescriptor d = QueueDescriptor.fromJson(descriptorJson);
        switch (role) {
            case "producer":
                DemoTraffic.produce(d, items, consumers);
                return Conduit.OK;
            case "consumer":
                if (out == null) {
                    throw new IllegalArgumentException("a consumer needs --out");
                }
                DemoTraffic.consume(d).writeTo(out);
                return Conduit.OK;
            default:
                throw new IllegalArgumentException("--role must be producer or consumer, not '" + role + "'");
        }
    }
}
