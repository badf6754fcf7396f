package dev.conduit.queue.rpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay to an rpc server whose server-to-client direction can be paused: a test
 * holds the server's answers (the server has taken the items, the client has not seen them) and
 * lets them through when it chooses. For the late-answer tests.
 */
final class PausableRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private boolean paused;

    PausableRelay(int target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    void pauseAnswers() {
        synchronized (gate) {
            paused = true;
        }
    }

    void resumeAnswers() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    private void acceptLoop() {
        try {
            for (;;) {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, false);
                pump(server, client, true);
            }
        } catch (IOException closed) {
            // The relay closed.
        }
    }

    private void pump(Socket from, Socket to, boolean answers) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    if (answers) {
                        synchronized (gate) {
                            while (paused) {
                                gate.wait();
                            }
                        }
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // A side closed.
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // Closing anyway.
                }
            }
        }, answers ? "relay-answers" : "relay-requests");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        resumeAnswers();
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
