package dev.conduit.queue.rpc;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.File;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's gRPC channels, one per server address and TLS setup, shared by every queue handle
 * that talks to it and shut down when the last handle closes. A channel reconnects by itself after
 * the server restarts.
 *
 * <p>Thread-safe.
 */
final class RpcChannels {
    private static final Logger LOG = LoggerFactory.getLogger(RpcChannels.class);
    private static final Map<String, Lease> CHANNELS = new HashMap<>();

    private RpcChannels() {
    }

    /** One handle's share of a channel. */
    static final class Lease {
        final String key;
        final ManagedChannel channel;
        private int refs;

        private Lease(String key, ManagedChannel channel) {
            this.key = key;
            this.channel = channel;
        }

        /** Gives the share back; the last one shuts the channel down. Call once. */
        void release() {
            synchronized (CHANNELS) {
                if (--refs > 0) {
                    return;
                }
                CHANNELS.remove(key, this);
            }
            // No handle uses the channel any more, so nothing is left to drain: do not wait.
            channel.shutdownNow();
            LOG.atDebug().setMessage("channel closed").addKeyValue("server", key).log();
        }
    }

    /**
     * A share of the channel to a server, made on first use.
     *
     * @param o the connection options
     * @return the lease; release it when the handle closes
     * @throws IllegalArgumentException naming the option when a TLS file cannot be read
     */
    static Lease acquire(RpcOptions o) {
        synchronized (CHANNELS) {
            Lease l = CHANNELS.get(o.channelKey());
            if (l == null) {
                l = new Lease(o.channelKey(), build(o));
                CHANNELS.put(l.key, l);
                LOG.atDebug().setMessage("channel opened").addKeyValue("server", l.key).log();
            }
            l.refs++;
            return l;
        }
    }

    /** @return how many channels are open (for tests of sharing) */
    static int openChannels() {
        synchronized (CHANNELS) {
            return CHANNELS.size();
        }
    }

    private static ManagedChannel build(RpcOptions o) {
        ChannelCredentials creds = InsecureChannelCredentials.create();
        if (o.tls()) {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
            try {
                if (o.trustCertPath() != null) {
                    tls.trustManager(new File(o.trustCertPath()));
                }
                if (o.clientCertPath() != null) {
                    tls.keyManager(new File(o.clientCertPath()), new File(o.clientKeyPath()));
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("options 'trustCertPath'/'clientCertPath'/'clientKeyPath': "
                        + "cannot read " + e.getMessage(), e);
            }
            creds = tls.build();
        }
        return Grpc.newChannelBuilderForAddress(o.host(), o.port(), creds)
                .maxInboundMessageSize(256 << 20)
                // Answers complete futures that only our own threads wait on: no hop to a pool.
                .directExecutor()
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .build();
    }
}
