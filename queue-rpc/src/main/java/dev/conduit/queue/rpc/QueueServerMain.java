package dev.conduit.queue.rpc;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Runs a {@link QueueServer} until the process is told to stop (SIGTERM or Ctrl-C close it
 * gracefully).
 *
 * <pre>
 * java -cp ... dev.conduit.queue.rpc.QueueServerMain --port 7070 [--host 0.0.0.0]
 *      [--tls-cert server.pem --tls-key server.key [--client-ca clients.pem]]
 *      [--token NAMESPACE=TOKEN | --token-env NAMESPACE=ENV_VAR]... ('*' as NAMESPACE: every namespace)
 *      [--max-queues N] [--max-item-bytes N] [--max-message-bytes N] [--port-file FILE]
 * </pre>
 *
 * {@code --port 0} picks a free port; {@code --port-file} writes the chosen one to a file (for
 * scripts and tests that start the server in another process).
 */
public final class QueueServerMain {
    private QueueServerMain() {
    }

    /**
     * Starts the server and blocks until it stops.
     *
     * @param args the options above
     * @throws InterruptedException if interrupted while serving
     * @throws IllegalArgumentException on an unknown or malformed option
     */
    public static void main(String[] args) throws InterruptedException {
        QueueServer.Builder b = QueueServer.builder();
        File cert = null;
        File key = null;
        File clientCa = null;
        Path portFile = null;
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("--help") || opt.equals("-h")) {
                System.out.println("usage: QueueServerMain --port N [--host H] [--tls-cert F --tls-key F "
                        + "[--client-ca F]] [--token NS=TOKEN] [--token-env NS=VAR] [--max-queues N] "
                        + "[--max-item-bytes N] [--max-message-bytes N] [--port-file F]");
                return;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + opt + " needs a value");
            }
            String v = args[++i];
            switch (opt) {
                case "--host": b.host(v); break;
                case "--port": b.port(Integer.parseInt(v)); break;
                case "--tls-cert": cert = new File(v); break;
                case "--tls-key": key = new File(v); break;
                case "--client-ca": clientCa = new File(v); break;
                case "--token": {
                    String[] kv = split(opt, v);
                    b.token(kv[0], kv[1]);
                    break;
                }
                case "--token-env": {
                    String[] kv = split(opt, v);
                    String token = System.getenv(kv[1]);
                    if (token == null || token.isEmpty()) {
                        throw new IllegalArgumentException("--token-env: environment variable " + kv[1]
                                + " is not set");
                    }
                    b.token(kv[0], token);
                    break;
                }
                case "--max-queues": b.maxQueues(Integer.parseInt(v)); break;
                case "--max-item-bytes": b.maxItemBytes(Integer.parseInt(v)); break;
                case "--max-message-bytes": b.maxMessageBytes(Integer.parseInt(v)); break;
                case "--port-file": portFile = Path.of(v); break;
                default: throw new IllegalArgumentException("unknown option " + opt + " (try --help)");
            }
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (cert != null) {
            b.tls(cert, key);
        }
        if (clientCa != null) {
            b.mutualTls(clientCa);
        }
        QueueServer server = b.start();
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "conduit-rpc-shutdown"));
        if (portFile != null) {
            writeAtomically(portFile, Integer.toString(server.port()));
        }
        server.awaitTermination();
    }

    private static String[] split(String opt, String v) {
        int eq = v.indexOf('=');
        if (eq < 1 || eq == v.length() - 1) {
            throw new IllegalArgumentException(opt + " wants NAMESPACE=VALUE, not '" + v + "'");
        }
        return new String[] {v.substring(0, eq), v.substring(eq + 1)};
    }

    private static void writeAtomically(Path file, String text) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the port file " + file, e);
        }
    }
}
