package dev.conduit.queue.ray;

import com.esotericsoftware.kryo.io.Output;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.codec.Codecs;
import io.ray.api.Ray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile payloads for a ray queue, and the Ray task that takes them with the default object codec
 * in a worker JVM of its own. The payloads are what Kryo writes for an object of a class named in
 * the bytes (the entry points of known deserialization gadget chains, dangerous JDK classes, and
 * {@link RayGadgetCanary}), and an unregistered class id; the idea and the list follow
 * queue-reliability's in-JVM GadgetPayloads. No JUnit here: workers load this class.
 */
public final class GadgetTasks {
    /** Gadget classes and dangerous JDK classes, present on the class path or not. */
    public static final List<String> CLASS_NAMES = List.of(
            "dev.conduit.queue.ray.RayGadgetCanary",
            "org.apache.commons.collections.functors.InvokerTransformer",
            "org.apache.commons.collections4.functors.InstantiateTransformer",
            "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl",
            "com.sun.rowset.JdbcRowSetImpl",
            "org.codehaus.groovy.runtime.MethodClosure",
            "javax.script.ScriptEngineManager",
            "java.lang.ProcessBuilder",
            "java.lang.Runtime",
            "java.net.URLClassLoader",
            "java.util.PriorityQueue",
            "[Ldev.conduit.queue.ray.RayGadgetCanary;");

    /**
     * The file {@link RayGadgetCanary}'s static initializer creates (held here: reading a field of
     * the canary would initialize it).
     */
    public static final Path CANARY_MARK = Path.of(System.getProperty("java.io.tmpdir"), "conduit-ray-gadget-canary");

    private GadgetTasks() {
    }

    /** @return the bytes Kryo would produce for an object of the named class, sent by name */
    public static byte[] byName(String className) {
        Output out = new Output(256, -1);
        out.writeVarInt(1, true);   // class written by name (Kryo's NAME marker + 2)
        out.writeVarInt(0, true);   // name id 0: the name follows
        out.writeString(className);
        out.writeString("touch /tmp/pwned");
        out.writeVarInt(0x7fffffff, true);
        return out.toBytes();
    }

    /** @return a payload naming a class id nobody registered */
    public static byte[] unknownId() {
        Output out = new Output(16, -1);
        out.writeVarInt(5000, true);
        out.writeLong(42);
        return out.toBytes();
    }

    /**
     * Takes items with the default object codec, in batches of {@code maxBatch}, until it has seen
     * {@code items} of them (refused or decoded).
     *
     * @return {@code refused=<n> decoded=<the decoded items> canary=<what RayGadgetCanary's mark
     *     says, or none> node=<this task's node>}
     */
    public static String takeAll(String descriptorJson, Integer items, Integer maxBatch) throws InterruptedException {
        int refused = 0;
        List<Object> decoded = new ArrayList<>();
        try (MessageQueue<Object> q = QueueDescriptor.fromJson(descriptorJson).open(Codecs.objects())) {
            while (refused + decoded.size() < items) {
                try {
                    List<Object> batch = q.getBatch(maxBatch, Duration.ofSeconds(30));
                    if (batch.isEmpty()) {
                        throw new IllegalStateException("no item for 30 s after " + (refused + decoded.size()));
                    }
                    decoded.addAll(batch);
                } catch (SerializationException e) {
                    refused++;
                }
            }
        }
        String canary = Files.exists(CANARY_MARK) ? "MARKED" : "none";
        return "refused=" + refused + " decoded=" + decoded + " canary=" + canary + " node="
                + Ray.getRuntimeContext().getCurrentNodeId();
    }
}
