package dev.conduit.queue.reliability;

import com.esotericsoftware.kryo.io.Output;
import java.util.List;

/**
 * Kryo-format payloads that name classes the object codec must refuse: the usual deserialization
 * gadget entry points of the Java ecosystem, JDK classes that are dangerous to build from bytes,
 * and {@link GadgetCanary}. Each payload is what Kryo writes for an object of a class sent by name
 * (class-by-name marker, name id, class name), followed by junk field data.
 */
final class GadgetPayloads {
    /** Gadget classes and dangerous JDK classes, present on the class path or not. */
    static final List<String> CLASS_NAMES = List.of(
            GadgetCanary.class.getName(),
            "org.apache.commons.collections.functors.InvokerTransformer",
            "org.apache.commons.collections4.functors.InstantiateTransformer",
            "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl",
            "com.sun.rowset.JdbcRowSetImpl",
            "org.springframework.beans.factory.ObjectFactory",
            "com.mchange.v2.c3p0.WrapperConnectionPoolDataSource",
            "org.codehaus.groovy.runtime.MethodClosure",
            "javax.script.ScriptEngineManager",
            "java.lang.ProcessBuilder",
            "java.lang.Runtime",
            "java.net.URL",
            "java.net.URLClassLoader",
            "java.util.PriorityQueue",
            "java.lang.reflect.Proxy",
            "java.io.File",
            "[Ldev.conduit.queue.reliability.GadgetCanary;");

    private GadgetPayloads() {
    }

    /** The bytes Kryo would produce for an object of the named class, sent by name. */
    static byte[] byName(String className) {
        Output out = new Output(256, -1);
        out.writeVarInt(1, true);   // class written by name (DefaultClassResolver.NAME + 2)
        out.writeVarInt(0, true);   // name id 0: the name follows
        out.writeString(className);
        out.writeString("touch /tmp/pwned");
        out.writeVarInt(0x7fffffff, true);
        return out.toBytes();
    }

    /** A payload naming an unregistered class id, for the id path. */
    static byte[] unknownId() {
        Output out = new Output(16, -1);
        out.writeVarInt(5000, true);
        out.writeLong(42);
        return out.toBytes();
    }
}
