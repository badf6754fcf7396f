package dev.conduit.queue.reliability;

/**
 * A class that must never be loaded from queue bytes: its static initializer leaves a mark that the
 * gadget tests look for (a real gadget does its harm in exactly such code, or in a constructor).
 */
public class GadgetCanary {
    static {
        System.setProperty("conduit.gadget.canary", "initialized");
    }

    /** A field so Kryo would have something to fill. */
    public String command = "touch /tmp/pwned";
}
