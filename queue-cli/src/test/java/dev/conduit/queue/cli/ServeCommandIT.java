package dev.conduit.queue.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conduit serve} run as a process, and every inspection command against it over gRPC on
 * loopback: tokens, JSON output, missing queues, SIGTERM, TLS and mutual TLS (certificates made
 * at test time with the openssl command).
 */
class ServeCommandIT {
    private static final String TOKEN = "s3cret-token";

    @TempDir
    Path tmp;

    /** Starts {@code conduit serve --port 0} with more options and waits for its port file. */
    private Process serve(Path portFile, String... more) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("serve", "--port", "0", "--port-file", portFile.toString()));
        args.addAll(List.of(more));
        Path log = tmp.resolve("serve-" + System.nanoTime() + ".log");
        Process p = ConduitProcess.start(log, args.toArray(String[]::new));
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(portFile)) {
            if (!p.isAlive()) {
                throw new AssertionError("serve exited with " + p.exitValue() + ": " + Files.readString(log));
            }
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("serve wrote no port file within 60 s: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return p;
    }

    private static String address(Path portFile) throws IOException {
        return "127.0.0.1:" + Files.readString(portFile, StandardCharsets.UTF_8).trim();
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void everyQueueCommandWorksAgainstAServerWithTokensAndSigtermStopsIt() throws Exception {
        Path portFile = tmp.resolve("port");
        Process server = null;
        try {
            server = serve(portFile, "--token", "team=" + TOKEN, "--max-queues", "10");
            String[] at = {"--server", address(portFile), "--namespace", "team", "--token", TOKEN};

            ConduitProcess.Result denied = ConduitProcess.run("ls", "--server", address(portFile), "--namespace",
                    "team");
            assertEquals(5, denied.exit(), denied::toString);
            denied.assertOneLineError();
            ConduitProcess.Result wrong = ConduitProcess.run("ls", "--server", address(portFile), "--namespace",
                    "team", "--token", "guess");
            assertEquals(5, wrong.exit(), wrong::toString);

            ConduitProcess.Result none = ConduitProcess.run(with(at, "ls", "--json"));
            assertEquals(0, none.exit(), none::toString);
            assertEquals(0, none.json().size(), none::toString);

            ConduitProcess.Result put = ConduitProcess.run(with(at, "put", "jobs", "low", "--priority", "10",
                    "--server-type", "priority", "--capacity", "50"));
            assertEquals(0, put.exit(), put::toString);
            assertEquals(0, ConduitProcess.run(with(at, "put", "jobs", "high", "--priority", "250")).exit());

            ConduitProcess.Result ls = ConduitProcess.run(with(at, "ls", "--json"));
            JsonNode row = ls.json().get(0);
            assertEquals("jobs", row.get("id").asText(), ls::toString);
            assertEquals("priority", row.get("serverType").asText(), ls::toString);
            assertEquals(2, row.get("size").asInt(), ls::toString);
            assertEquals(50, row.get("capacity").asInt(), ls::toString);

            ConduitProcess.Result stat = ConduitProcess.run(with(at, "stat", "jobs", "--json"));
            assertEquals(0, stat.exit(), stat::toString);
            assertEquals("rpc:team/jobs", stat.json().get("queue").asText());
            assertEquals(2, stat.json().get("metrics").get("puts").asInt());
            assertFalse(stat.out().contains(TOKEN), "stat must not print the token: " + stat);
            ConduitProcess.Result statText = ConduitProcess.run(with(at, "stat", "jobs"));
            assertTrue(statText.out().contains("PRIORITY"), statText::toString);
            assertFalse(statText.out().contains(TOKEN), "stat must not print the token: " + statText);

            ConduitProcess.Result peek = ConduitProcess.run(with(at, "peek", "jobs", "--json"));
            assertEquals("high", peek.json().get("item").asText(), peek::toString);
            ConduitProcess.Result get = ConduitProcess.run(with(at, "get", "jobs", "-n", "5"));
            assertEquals(0, get.exit(), get::toString);
            assertEquals("high\nlow\n", get.out());
            ConduitProcess.Result empty = ConduitProcess.run(with(at, "get", "jobs", "--timeout", "300ms"));
            assertEquals(4, empty.exit(), empty::toString);

            assertEquals(0, ConduitProcess.run(with(at, "put", "jobs", "x", "y", "z")).exit());
            ConduitProcess.Result clear = ConduitProcess.run(with(at, "clear", "jobs", "--json"));
            assertEquals(3, clear.json().get("cleared").asInt(), clear::toString);

            for (String command : List.of("stat", "peek", "get", "clear", "destroy")) {
                ConduitProcess.Result missing = ConduitProcess.run(with(at, command, "missing"));
                assertEquals(3, missing.exit(), missing::toString);
                missing.assertOneLineError();
            }
            ConduitProcess.Result stillOne = ConduitProcess.run(with(at, "ls", "--json"));
            assertEquals(1, stillOne.json().size(), () -> "a look created a queue: " + stillOne);

            ConduitProcess.Result destroy = ConduitProcess.run(with(at, "destroy", "jobs", "--json"));
            assertTrue(destroy.json().get("destroyed").asBoolean(), destroy::toString);
            assertEquals(0, ConduitProcess.run(with(at, "ls", "--json")).json().size());

            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "serve did not stop within 30 s of SIGTERM");
            ConduitProcess.Result gone = ConduitProcess.run(with(at, "ls", "--connect-timeout", "500"));
            assertEquals(1, gone.exit(), gone::toString);
            gone.assertOneLineError();
            assertTrue(gone.stderr().contains("unreachable"), gone::toString);
        } finally {
            ConduitProcess.kill(server);
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void serveWithMutualTlsAcceptsOnlyClientsWithACertificate() throws Exception {
        Path certs = makeCertificates();
        Path portFile = tmp.resolve("tls-port");
        Process server = null;
        try {
            server = serve(portFile, "--tls-cert", certs.resolve("server.pem").toString(), "--tls-key",
                    certs.resolve("server.key").toString(), "--tls-client-ca", certs.resolve("ca.pem").toString());
            String[] at = {"--server", address(portFile), "--tls-ca", certs.resolve("ca.pem").toString(),
                "--tls-client-cert", certs.resolve("client.pem").toString(), "--tls-client-key",
                certs.resolve("client.key").toString()};
            ConduitProcess.Result put = ConduitProcess.run(with(at, "put", "secure", "hello"));
            assertEquals(0, put.exit(), put::toString);
            ConduitProcess.Result get = ConduitProcess.run(with(at, "get", "secure"));
            assertEquals("hello\n", get.out(), get::toString);

            ConduitProcess.Result noClientCert = ConduitProcess.run("ls", "--server", address(portFile), "--tls-ca",
                    certs.resolve("ca.pem").toString(), "--connect-timeout", "1000");
            assertTrue(noClientCert.exit() != 0, noClientCert::toString);
            noClientCert.assertOneLineError();
            ConduitProcess.Result plain = ConduitProcess.run("ls", "--server", address(portFile),
                    "--connect-timeout", "1000");
            assertTrue(plain.exit() != 0, plain::toString);
            plain.assertOneLineError();
        } finally {
            ConduitProcess.kill(server);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void sigtermRemovesThePortFileSoThatAScriptWaitingForTheNextServerIsNotMisled() throws Exception {
        Path portFile = tmp.resolve("port");
        Process server = null;
        try {
            server = serve(portFile);
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "serve did not stop within 30 s of SIGTERM");
            assertEquals(143, server.exitValue());
            assertFalse(Files.exists(portFile), "serve stopped by SIGTERM left its port file behind");
        } finally {
            ConduitProcess.kill(server);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aPortFileInADirectoryThatDoesNotExistIsABadArgumentNamedBeforeServing() {
        Path portFile = tmp.resolve("no-such-dir").resolve("port");
        ConduitProcess.Result r = ConduitProcess.run("serve", "--port", "0", "--port-file", portFile.toString());
        assertEquals(2, r.exit(), r::toString);
        r.assertOneLineError();
        assertTrue(r.stderr().contains("--port-file"), r::toString);
        assertFalse(r.out().contains("serving"), r::toString);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anItemTooLargeForTheServerCreatesNoQueueOnIt() throws Exception {
        Path portFile = tmp.resolve("port");
        Process server = null;
        try {
            server = serve(portFile, "--max-item-bytes", "100");
            String[] at = {"--server", address(portFile)};
            ConduitProcess.Result big = ConduitProcess.run(with(at, "put", "big", "x".repeat(101)));
            assertEquals(1, big.exit(), big::toString);
            big.assertOneLineError();
            assertTrue(big.stderr().contains("exceeds the limit"), big::toString);
            ConduitProcess.Result ls = ConduitProcess.run(with(at, "ls", "--json"));
            assertEquals(0, ls.exit(), ls::toString);
            assertEquals(0, ls.json().size(), () -> "a put refused as too large left a queue: " + ls);
        } finally {
            ConduitProcess.kill(server);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void serveRefusesHalfATlsSetupAsABadArgument() {
        ConduitProcess.Result r = ConduitProcess.run("serve", "--port", "0", "--tls-cert", "server.pem");
        assertEquals(2, r.exit(), r::toString);
        r.assertOneLineError();
    }

    private static String[] with(String[] at, String... command) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(List.of(at));
        return all.toArray(String[]::new);
    }

    /** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
    private Path makeCertificates() throws Exception {
        assumeTrue(opensslInstalled(), "the openssl command is not installed");
        Path d = Files.createDirectories(tmp.resolve("certs"));
        Files.writeString(d.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        assertTrue(run(d, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.pem", "-days", "1", "-subj", "/CN=Conduit CLI Test CA"));
        for (String who : List.of("server", "client")) {
            assertTrue(run(d, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + ".key", "-out",
                    who + ".csr", "-subj", "/CN=" + (who.equals("server") ? "127.0.0.1" : "conduit-cli-client")));
            assertTrue(run(d, "openssl", "x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", who + ".pem", "-days", "1", "-extfile", "san.ext"));
        }
        return d;
    }

    private boolean opensslInstalled() throws InterruptedException {
        try {
            return run(tmp, "openssl", "version");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } finally {
            p.destroyForcibly();
        }
    }
}
