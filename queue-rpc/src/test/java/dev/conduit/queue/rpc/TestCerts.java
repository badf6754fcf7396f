package dev.conduit.queue.rpc;

import java.io.File;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made at test time (no private key is ever committed): a certificate authority, a
 * server certificate for 127.0.0.1 and localhost, and a client certificate, all as PEM files.
 */
final class TestCerts {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    final File caCert;
    final File serverCert;
    final File serverKey;
    final File clientCert;
    final File clientKey;
    /** A second authority that signed nothing the server trusts. */
    final File otherCaCert;
    final File strangerCert;
    final File strangerKey;

    private TestCerts(Path dir) throws Exception {
        KeyPair ca = keys();
        X509Certificate caC = sign("CN=Conduit Test CA", ca, "CN=Conduit Test CA", ca.getPrivate(), true, false);
        KeyPair server = keys();
        X509Certificate serverC = sign("CN=127.0.0.1", server, "CN=Conduit Test CA", ca.getPrivate(), false, true);
        KeyPair client = keys();
        X509Certificate clientC = sign("CN=conduit-client", client, "CN=Conduit Test CA", ca.getPrivate(), false,
                false);
        KeyPair other = keys();
        X509Certificate otherC = sign("CN=Other CA", other, "CN=Other CA", other.getPrivate(), true, false);
        KeyPair stranger = keys();
        X509Certificate strangerC = sign("CN=stranger", stranger, "CN=Other CA", other.getPrivate(), false, false);
        caCert = write(dir.resolve("ca.pem"), "CERTIFICATE", caC.getEncoded());
        serverCert = write(dir.resolve("server.pem"), "CERTIFICATE", serverC.getEncoded());
        serverKey = writeKey(dir.resolve("server.key"), server.getPrivate());
        clientCert = write(dir.resolve("client.pem"), "CERTIFICATE", clientC.getEncoded());
        clientKey = writeKey(dir.resolve("client.key"), client.getPrivate());
        otherCaCert = write(dir.resolve("other-ca.pem"), "CERTIFICATE", otherC.getEncoded());
        strangerCert = write(dir.resolve("stranger.pem"), "CERTIFICATE", strangerC.getEncoded());
        strangerKey = writeKey(dir.resolve("stranger.key"), stranger.getPrivate());
    }

    /**
     * Makes a fresh set in {@code dir}.
     *
     * @param dir a temporary directory
     * @return the files
     * @throws Exception if key generation or signing fails
     */
    static TestCerts create(Path dir) throws Exception {
        return new TestCerts(dir);
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, PrivateKey issuerKey,
            boolean ca, boolean serverNames) throws Exception {
        Date from = new Date(System.currentTimeMillis() - 60_000);
        Date to = new Date(System.currentTimeMillis() + 24L * 3600_000);
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(SERIAL.incrementAndGet()), from, to, new X500Name(subject), subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
                    | KeyUsage.keyEncipherment));
        }
        if (serverNames) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")}));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    private static File write(Path file, String type, byte[] der) throws IOException {
        String pem = "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
        return file.toFile();
    }

    private static File writeKey(Path file, PrivateKey key) throws IOException {
        // PrivateKey.getEncoded() is PKCS#8, the form grpc-java reads.
        return write(file, "PRIVATE KEY", key.getEncoded());
    }
}
