package dev.conduit.queue.reliability;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Command-line options of the fault loops: {@code --name value} pairs and bare flags. Stateless. */
final class FaultLoopArgs {
    private FaultLoopArgs() {
    }

    /**
     * Parses {@code --name value} pairs; a known name not followed by a value, or followed by
     * another option, is a flag with the value {@code "true"}.
     *
     * @param args the command line
     * @param known the option names accepted
     * @return name to value
     * @throws IllegalArgumentException naming an unknown option
     */
    static Map<String, String> parse(String[] args, String... known) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!List.of(known).contains(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + " (known: " + String.join(" ", known)
                        + ")");
            }
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            out.put(args[i], flag ? "true" : args[++i]);
        }
        return out;
    }
}
