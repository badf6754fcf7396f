package dev.conduit.queue.codec;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * The classes the object codec may write and read besides its built-ins: exact classes and,
 * if you choose, whole packages of your own. A class outside the list is never loaded or
 * instantiated from bytes. Thread-safe; additions apply at once to every codec that uses the list.
 */
public final class AllowList {
    /** Packages of the JDK, never allowed as a whole. */
    private static final String[] JDK_ROOTS = {"java", "javax", "sun", "jdk", "com.sun"};

    private final Set<String> classes = new CopyOnWriteArraySet<>();
    private final Set<String> packages = new CopyOnWriteArraySet<>();

    /** An empty list (only the codec's built-ins are allowed). */
    public AllowList() {
    }

    /**
     * Allows classes (and arrays of them).
     *
     * @param types the classes
     * @return this list
     */
    public AllowList allow(Class<?>... types) {
        for (Class<?> t : types) {
            Class<?> c = Objects.requireNonNull(t, "type");
            while (c.isArray()) {
                c = c.getComponentType();
            }
            classes.add(c.getName());
        }
        return this;
    }

    /**
     * Allows every class whose name starts with {@code packageName + "."}. Allow only packages you
     * own: a library package may hold classes that do harm when built from untrusted bytes.
     *
     * @param packageName for example {@code "com.acme.events"}
     * @return this list
     * @throws IllegalArgumentException for a JDK or otherwise too-broad package
     */
    public AllowList allowPackage(String packageName) {
        String p = Objects.requireNonNull(packageName, "packageName").trim();
        if (p.endsWith(".")) {
            p = p.substring(0, p.length() - 1);
        }
        // Judged without the trailing dot, so that "com.sun" and "com." are seen for what they are.
        boolean jdk = false;
        for (String root : JDK_ROOTS) {
            jdk |= p.equals(root) || p.startsWith(root + ".");
        }
        if (jdk || !p.contains(".") || p.startsWith(".") || p.endsWith(".") || p.contains("..")) {
            throw new IllegalArgumentException("package '" + packageName + "' is too broad to allow: name a package "
                    + "of your own with at least two parts");
        }
        packages.add(p + ".");
        return this;
    }


    /**
     * Whether a class is allowed.
     *
     * @param type the class
     * @return true if allowed
     */
    public boolean permits(Class<?> type) {
        Class<?> c = type;
        while (c.isArray()) {
            c = c.getComponentType();
        }
        return permitsName(c.getName());
    }

    /**
     * Whether a class name is allowed; array names ({@code [Lcom.acme.X;}) are judged by their
     * element class.
     *
     * @param className a binary class name
     * @return true if allowed
     */
    public boolean permitsName(String className) {
        String n = className;
        while (n.startsWith("[")) {
            n = n.substring(1);
        }
        if (n.startsWith("L") && n.endsWith(";")) {
            n = n.substring(1, n.length() - 1);
        }
        if (classes.contains(n)) {
            return true;
        }
        for (String p : packages) {
            if (n.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "AllowList" + classes + " packages" + packages;
    }
}
