package dev.conduit.queue.codec;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import dev.conduit.queue.SerializationException;

/**
 * Kryo's class resolver with the allow-list as its one gate: built-in classes travel as fixed
 * ids; an allowed class travels by name and is registered on first sight; a name that is not
 * allowed is refused before any class is loaded (so no static initializer of a gadget class runs).
 * One instance per Kryo; not thread-safe, like Kryo.
 */
final class AllowListClassResolver extends DefaultClassResolver {
    private final AllowList allow;

    AllowListClassResolver(AllowList allow) {
        this.allow = allow;
    }

    @Override
    public Registration getRegistration(Class type) {
        Registration r = super.getRegistration(type);
        if (r == null && type != null && !type.isPrimitive() && allow.permits(type)) {
            if (type.isHidden()) {
                // Its name loads nothing, here or elsewhere: bytes written for it could never be read.
                throw new KryoException(new SerializationException("cannot encode " + type.getName()
                        + ": a lambda or other hidden class has no name another process can load; send a record "
                        + "or class of your own"));
            }
            r = registerImplicit(type);
        }
        return r;
    }

    @Override
    protected Class getTypeByName(String className) {
        Class<?> known = super.getTypeByName(className);
        if (known != null) {
            return known;
        }
        if (!allow.permitsName(className)) {
            throw new KryoException(new SerializationException("refused to decode class " + className
                    + ": it is not on the codec's allow-list (Codecs.allow(" + simple(className) + ".class))"));
        }
        return null;
    }

    private static String simple(String className) {
        int i = className.lastIndexOf('.');
        return i < 0 ? className : className.substring(i + 1).replace(";", "");
    }

    @Override
    public void reset() {
        super.reset();
        // Kryo keeps name ids across objects when registration is required; every encoded item must
        // stand alone (another process decodes it), so forget them after each object.
        if (classToNameId != null) {
            classToNameId.clear(64);
        }
        if (nameIdToClass != null) {
            nameIdToClass.clear();
        }
        nextNameId = 0;
    }
}
