package dev.conduit.queue.cli;

import dev.conduit.queue.rpc.QueueServer;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code conduit serve}: runs the gRPC {@link QueueServer} until the process gets SIGINT or
 * SIGTERM, then stops it gracefully (new calls refused, waiting reads ended, running calls given
 * the grace period) and exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the rpc queue server (gRPC) until SIGINT or SIGTERM, then drain and stop.",
            "Clients reach its queues with rpc descriptors, or with 'conduit ... --server HOST:PORT'."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "7070", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--port-file",
            description = "Write the port listened on to this file once serving (for scripts); removed on stop.")
    Path portFile;

    @Option(names = "--tls-cert", description = "PEM certificate chain of the server: serve TLS only (needs --tls-key).")
    File tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key of the server.")
    File tlsKey;

    @Option(names = "--tls-client-ca",
            description = "PEM certificates of the client authorities: require client certificates (mutual TLS).")
    File tlsClientCa;

    @Option(names = "--token", paramLabel = "NAMESPACE=TOKEN",
            description = "Require this bearer token for the namespace ('*': every namespace without its own). "
                    + "Repeatable; once one is given every namespace needs one.")
    Map<String, String> tokens = new LinkedHashMap<>();

    @Option(names = "--token-env", paramLabel = "NAMESPACE=VARIABLE",
            description = "Like --token, the token read from an environment variable (keeps it out of 'ps').")
    Map<String, String> tokenVariables = new LinkedHashMap<>();

    @Option(names = "--max-queues", description = "Most queues hosted at once (default: 10,000).")
    Integer maxQueues;

    @Option(names = "--max-item-bytes", description = "Largest item a put may carry (default: 4 MiB).")
    Integer maxItemBytes;

    @Option(names = "--max-message-bytes", description = "Largest request the transport accepts (default: 64 MiB).")
    Integer maxMessageBytes;

    @Option(names = "--grace", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long running calls may finish on shutdown (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Override
    public Integer call() throws Exception {
        QueueServer.Builder b = QueueServer.builder().host(host).port(port).shutdownGrace(grace);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsClientCa != null && tlsCert == null) {
            throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
        }
        for (File f : new File[] {tlsCert, tlsKey, tlsClientCa}) {
            if (f != null && !f.canRead()) {
                throw new IllegalArgumentException("cannot read " + f);
            }
        }
        if (portFile != null && !Files.isDirectory(portFile.toAbsolutePath().getParent())) {
            throw new IllegalArgumentException("--port-file: no directory " + portFile.toAbsolutePath().getParent());
        }
        if (tlsCert != null) {
            b.tls(tlsCert, tlsKey);
        }
        if (tlsClientCa != null) {
            b.mutualTls(tlsClientCa);
        }
        tokens.forEach(b::token);
        tokenVariables.forEach((namespace, variable) -> {
            String token = System.getenv(variable);
            if (token == null || token.isEmpty()) {
                throw new IllegalArgumentException("--token-env: environment variable " + variable + " is not set");
            }
            b.token(namespace, token);
        });
        if (maxQueues != null) {
            b.maxQueues(maxQueues);
        }
        if (maxItemBytes != null) {
            b.maxItemBytes(maxItemBytes);
        }
        if (maxMessageBytes != null) {
            b.maxMessageBytes(maxMessageBytes);
        }
        QueueServer server = b.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            if (portFile != null) {
                // a script that waits for the file must not read the port of a server that is gone
                try {
                    Files.deleteIfExists(portFile);
                } catch (IOException e) {
                    System.err.println("conduit: could not remove " + portFile + ": " + e.getMessage());
                }
            }
        }, "conduit-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("conduit: serving queues on %s:%d (%s%s) until SIGINT or SIGTERM%n", host, server.port(),
                tlsCert == null ? "plain text" : tlsClientCa == null ? "TLS" : "mutual TLS",
                tokens.isEmpty() && tokenVariables.isEmpty() ? ", no tokens"
                        : ", tokens for " + String.join(", ", namespaces()));
        out.flush();
        if (portFile != null) {
            writeAtomically(portFile, Integer.toString(server.port()));
        }
        server.awaitTermination();
        return Conduit.OK;
    }

    private Iterable<String> namespaces() {
        Map<String, String> all = new LinkedHashMap<>(tokens);
        all.putAll(tokenVariables);
        return all.keySet();
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.toAbsolutePath().resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
