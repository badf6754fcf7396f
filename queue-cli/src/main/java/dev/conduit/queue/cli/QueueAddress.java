package dev.conduit.queue.cli;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.rpc.RemoteQueueInfo;
import dev.conduit.queue.rpc.RpcBackend;
import dev.conduit.queue.shm.JournalInfo;
import dev.conduit.queue.shm.JournalQueues;
import dev.conduit.queue.shm.ShmQueueInfo;
import dev.conduit.queue.shm.ShmQueues;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where the queues of an inspection command live: shared-memory files and durable journals
 * (shm with {@code durable=true}) in a directory ({@code --dir}, the default), or a queue server ({@code --server HOST:PORT} with its TLS and
 * token options), plus the namespace. A picocli mixin shared by {@code ls}, {@code stat},
 * {@code peek}, {@code put}, {@code get}, {@code clear} and {@code destroy}.
 *
 * <p>Finding a queue never creates it: {@link #existing} looks the queue up (the shm directory
 * listing, the server's queue list) and opens it with the geometry or options it was created
 * with, since a handle with another capacity would be refused.
 *
 * <p>Not thread-safe (filled in by picocli, then read by one command).
 */
final class QueueAddress {
    @Option(names = "--dir", paramLabel = "DIR",
            description = {"Directory of shm queue files and durable journals (default: /dev/shm, or java.io.tmpdir",
                "where there is none, for queue files; ~/.conduit/journal, or -Dconduit.journal.dir, for journals)."})
    Path dir;

    @Option(names = "--namespace", paramLabel = "NAMESPACE",
            description = "Queue namespace (default: 'default'; ls on shm lists every namespace unless given).")
    String namespace;

    @Option(names = "--server", paramLabel = "HOST:PORT",
            description = "A queue server (conduit serve) instead of shm files.")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token of the namespace on the server.")
    String token;

    @Option(names = "--token-env", paramLabel = "VARIABLE",
            description = "Environment variable holding the token (keeps it out of 'ps').")
    String tokenEnv;

    @Option(names = "--tls", description = "Connect to the server with TLS, trusting the JDK's authorities.")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM certificates of the authority that signed the server's certificate (implies --tls).")
    Path tlsCa;

    @Option(names = "--tls-client-cert", paramLabel = "FILE",
            description = "PEM certificate chain for mutual TLS (with --tls-client-key).")
    Path tlsClientCert;

    @Option(names = "--tls-client-key", paramLabel = "FILE", description = "PEM PKCS#8 key for mutual TLS.")
    Path tlsClientKey;

    @Option(names = "--connect-timeout", paramLabel = "MILLIS", defaultValue = "3000",
            description = "How long to retry an unreachable server (default: ${DEFAULT-VALUE} ms).")
    long connectTimeoutMillis;

    /** @return whether the queues are on a server rather than in shm files */
    boolean remote() {
        return server != null;
    }

    /** @return the namespace asked for, or the default one */
    String namespaceOrDefault() {
        return namespace != null ? namespace : QueueDescriptor.DEFAULT_NAMESPACE;
    }

    /** @return the shm directory asked for, or the default one */
    Path dirOrDefault() {
        return dir != null ? dir : ShmQueues.defaultDirectory();
    }

    /** @return the journal directory: the one asked for, or the journals' default one */
    Path journalDirOrDefault() {
        return dir != null ? dir : JournalQueues.defaultDirectory();
    }

    /**
     * Checks that the options fit together.
     *
     * @throws IllegalArgumentException naming the options that do not
     */
    void validate() {
        if (server == null) {
            if (token != null || tokenEnv != null || tls || tlsCa != null || tlsClientCert != null
                    || tlsClientKey != null) {
                throw new IllegalArgumentException("--token, --token-env and the --tls options need --server");
            }
            return;
        }
        if (dir != null) {
            throw new IllegalArgumentException("--dir is for shm queues; it does not go with --server");
        }
        int colon = server.lastIndexOf(':');
        if (colon < 1 || colon == server.length() - 1) {
            throw new IllegalArgumentException("--server wants HOST:PORT, not '" + server + "'");
        }
        port();
        if ((tlsClientCert == null) != (tlsClientKey == null)) {
            throw new IllegalArgumentException("--tls-client-cert and --tls-client-key go together");
        }
        if (connectTimeoutMillis < 0) {
            throw new IllegalArgumentException("--connect-timeout must not be negative");
        }
    }

    private String host() {
        return server.substring(0, server.lastIndexOf(':'));
    }

    private int port() {
        String p = server.substring(server.lastIndexOf(':') + 1);
        try {
            int port = Integer.parseInt(p);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--server: the port must be 1-65535, not '" + p + "'");
        }
    }

    /**
     * The rpc descriptor of a queue on the server, with the connection options (TLS, token).
     *
     * @param id the queue id
     * @return the descriptor, capacity and server-side options still the defaults
     */
    QueueDescriptor rpc(String id) {
        QueueDescriptor d = QueueDescriptor.rpc(host(), port(), id).withNamespace(namespaceOrDefault())
                .withOption("reconnectMillis", Long.toString(connectTimeoutMillis));
        if (token != null) {
            d = d.withOption("token", token);
        }
        if (tokenEnv != null) {
            d = d.withOption("tokenEnv", tokenEnv);
        }
        if (tls || tlsCa != null || tlsClientCert != null) {
            d = d.withOption("tls", "true");
        }
        if (tlsCa != null) {
            d = d.withOption("trustCertPath", tlsCa.toString());
        }
        if (tlsClientCert != null) {
            d = d.withOption("clientCertPath", tlsClientCert.toString())
                    .withOption("clientKeyPath", tlsClientKey.toString());
        }
        return d;
    }

    /**
     * The shm descriptor of a queue in the directory, with the default geometry.
     *
     * @param id the queue id
     * @return the descriptor
     */
    QueueDescriptor shm(String id) {
        QueueDescriptor d = QueueDescriptor.shm(id).withNamespace(namespaceOrDefault());
        return dir != null ? d.withOption("dir", dir.toString()) : d;
    }

    /** @return the server's queues in the namespace */
    List<RemoteQueueInfo> remoteQueues() {
        return RpcBackend.listQueues(rpc("conduit-cli-listing"));
    }

    /** @return the shm queue files of the directory, of the namespace when one was given */
    List<ShmQueueInfo> shmQueues() {
        return ShmQueues.list(dirOrDefault()).stream()
                .filter(i -> namespace == null || i.namespace().equals(namespace))
                .toList();
    }

    /** @return the durable journals of the journal directory, of the namespace when one was given */
    List<JournalInfo> journals() {
        return JournalQueues.list(journalDirOrDefault()).stream()
                .filter(i -> namespace == null || i.namespace().equals(namespace))
                .toList();
    }

    /**
     * The shm descriptor of a durable journal (Chronicle Queue) in the journal directory.
     *
     * @param id the queue id
     * @return the descriptor
     */
    QueueDescriptor journal(String id) {
        return shm(id).withOption("durable", "true");
    }

    /**
     * The descriptor that opens an existing queue as it was created.
     *
     * @param id the queue id
     * @return the descriptor
     * @throws Conduit.QueueNotFoundException when no such queue exists
     * @throws QueueException when the shm file is damaged, or the server cannot be asked
     */
    QueueDescriptor existing(String id) {
        return find(id).orElseThrow(() -> new Conduit.QueueNotFoundException("no queue '" + id + "' in namespace '"
                + namespaceOrDefault() + "' " + where()));
    }

    /**
     * The descriptor that opens an existing queue as it was created, if the queue exists.
     *
     * @param id the queue id
     * @return the descriptor, or empty when the queue does not exist
     * @throws QueueException when the shm file is damaged, or the server cannot be asked
     */
    Optional<QueueDescriptor> find(String id) {
        if (remote()) {
            for (RemoteQueueInfo info : remoteQueues()) {
                if (info.descriptor().id().equals(id)) {
                    QueueDescriptor d = rpc(id).withCapacity(info.descriptor().capacity())
                            .withOptions(info.descriptor().options());
                    return Optional.of(info.serverType().equals("priority") ? d.withOption("serverType", "priority")
                            : d);
                }
            }
            return Optional.empty();
        }
        String ns = namespaceOrDefault();
        for (ShmQueueInfo info : ShmQueues.list(dirOrDefault())) {
            if (info.namespace().equals(ns) && info.id().equals(id)) {
                if (info.problem().isPresent()) {
                    throw new QueueException("queue file " + info.file() + " is refused: " + info.problem().get());
                }
                return Optional.of(shm(id).withCapacity((int) info.capacity())
                        .withOption("itemSize", Long.toString(info.itemSize()))
                        .withOption("lanes", Integer.toString(info.lanes())));
            }
        }
        for (JournalInfo info : JournalQueues.list(journalDirOrDefault())) {
            if (info.namespace().equals(ns) && info.id().equals(id)) {
                if (info.problem().isPresent()) {
                    throw new QueueException("journal " + info.dir() + " is refused: " + info.problem().get());
                }
                return Optional.of(journal(id));
            }
        }
        return Optional.empty();
    }

    /** @return where the queues are, for messages: "in DIR", "in DIR or JOURNAL-DIR" or "on server HOST:PORT" */
    String where() {
        if (remote()) {
            return "on server " + server;
        }
        return dir != null ? "in " + dir : "in " + dirOrDefault() + " or " + journalDirOrDefault();
    }
}
