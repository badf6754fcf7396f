package dev.conduit.queue.spi;

import dev.conduit.queue.BackendNotFoundException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds {@link QueueBackend}s: through {@link ServiceLoader} with this library's class loader, then
 * the thread's context class loader, then a fixed list of Conduit's own backends (for shaded jars
 * that lost their service files). Lazy, cached, thread-safe.
 *
 * <p>Among several backends of one type the available one with the highest
 * {@link QueueBackend#priority()} wins, ties broken by class name. The system property
 * {@code conduit.backend.<type>} names a class to use for a type regardless.
 */
public final class BackendRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);
    private static final BackendRegistry DEFAULT = new BackendRegistry();

    /** Types Conduit ships and the artifacts that hold them. */
    private static final Map<String, String> ARTIFACTS = Map.of(
            "local", "dev.conduit:queue-local",
            "priority", "dev.conduit:queue-priority",
            "shm", "dev.conduit:queue-shm",
            "journal", "dev.conduit:queue-shm",
            "rpc", "dev.conduit:queue-rpc",
            "ray", "dev.conduit:queue-ray");

    private static final List<String> FALLBACK_CLASSES = List.of(
            "dev.conduit.queue.local.LocalBackend",
            "dev.conduit.queue.priority.PriorityBackend",
            "dev.conduit.queue.shm.ShmBackend",
            "dev.conduit.queue.shm.JournalBackend",
            "dev.conduit.queue.rpc.RpcBackend",
            "dev.conduit.queue.ray.RayBackend");

    private volatile Map<String, QueueBackend> byType;

    private BackendRegistry() {
    }

    /** @return the registry shared by the whole JVM */
    public static BackendRegistry getDefault() {
        return DEFAULT;
    }

    /**
     * The backend for a type.
     *
     * @param type the descriptor type
     * @return the chosen backend
     * @throws BackendNotFoundException naming the artifact to add when none serves the type
     */
    public QueueBackend backendFor(String type) {
        String forced = System.getProperty("conduit.backend." + type);
        if (forced != null) {
            QueueBackend b = instantiate(forced, Thread.currentThread().getContextClassLoader());
            if (b == null) {
                throw new BackendNotFoundException(type, "system property conduit.backend." + type + " names class "
                        + forced + ", which could not be loaded as a QueueBackend");
            }
            return b;
        }
        QueueBackend b = backends().get(type);
        if (b == null) {
            // The context class loader may have changed since the cache was filled: look once more.
            byType = null;
            b = backends().get(type);
        }
        if (b == null) {
            String artifact = ARTIFACTS.get(type);
            String advice = artifact != null
                    ? "add the Maven artifact " + artifact + " to the class path"
                    : "add a jar that provides a dev.conduit.queue.spi.QueueBackend of type '" + type + "'";
            throw new BackendNotFoundException(type, "no queue backend of type '" + type + "' is on the class path: "
                    + advice + " (types found: " + types() + ")");
        }
        return b;
    }

    /** @return the available types, sorted */
    public Set<String> types() {
        return new TreeSet<>(backends().keySet());
    }

    /** @return the chosen backend of each available type */
    public Map<String, QueueBackend> backends() {
        Map<String, QueueBackend> m = byType;
        if (m == null) {
            synchronized (this) {
                m = byType;
                if (m == null) {
                    m = discover();
                    byType = m;
                }
            }
        }
        return m;
    }

    private static Map<String, QueueBackend> discover() {
        List<QueueBackend> found = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        load(BackendRegistry.class.getClassLoader(), found, seen);
        ClassLoader tccl = Thread.currentThread().getContextClassLoader();
        if (tccl != null) {
            load(tccl, found, seen);
        }
        for (String cls : FALLBACK_CLASSES) {
            if (!seen.contains(cls)) {
                QueueBackend b = instantiate(cls, BackendRegistry.class.getClassLoader());
                if (b != null) {
                    seen.add(cls);
                    found.add(b);
                }
            }
        }
        found.sort(Comparator.comparingInt(QueueBackend::priority).reversed()
                .thenComparing(b -> b.getClass().getName()));
        Map<String, QueueBackend> m = new LinkedHashMap<>();
        for (QueueBackend b : found) {
            boolean available;
            try {
                available = b.isAvailable();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("queue backend {} failed its availability check and is skipped: {}",
                        b.getClass().getName(), e.toString());
                available = false;
            }
            if (!available) {
                continue;
            }
            QueueBackend prev = m.putIfAbsent(b.type(), b);
            if (prev != null) {
                LOG.debug("queue backend {} of type '{}' is shadowed by {}", b.getClass().getName(), b.type(),
                        prev.getClass().getName());
            }
        }
        return Map.copyOf(m);
    }

    private static void load(ClassLoader cl, List<QueueBackend> found, Set<String> seen) {
        ServiceLoader<QueueBackend> loader = ServiceLoader.load(QueueBackend.class, cl);
        var it = loader.iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    return;
                }
                QueueBackend b = it.next();
                if (seen.add(b.getClass().getName())) {
                    found.add(b);
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                // One broken provider must not hide the others.
                LOG.warn("a queue backend could not be loaded and is skipped: {}", e.toString());
            }
        }
    }

    private static QueueBackend instantiate(String className, ClassLoader cl) {
        try {
            Class<?> c = Class.forName(className, true, cl != null ? cl : BackendRegistry.class.getClassLoader());
            return (QueueBackend) c.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return null;
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            LOG.warn("queue backend class {} could not be instantiated: {}", className, e.toString());
            return null;
        }
    }
}
