package dev.conduit.queue.ray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * A class that must never be loaded from queue bytes, in any JVM of the cluster: its static
 * initializer (where a real gadget does its harm) leaves a file, {@link GadgetTasks#CANARY_MARK}, that the gadget test
 * looks for. Every node of the test cluster runs on one host, so the driver, the queue actor's
 * worker and the tasks' workers all leave their mark in the same place.
 */
public class RayGadgetCanary {
    static {
        try {
            Files.writeString(GadgetTasks.CANARY_MARK, "initialized in process " + ProcessHandle.current().pid());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A field Kryo would fill. */
    public String command = "touch /tmp/pwned";
}
