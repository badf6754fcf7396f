package dev.conduit.queue.reliability;

import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.rpc.QueueServer;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak run: every in-process, shm and rpc backend in turn under {@link SoakWorkload}'s mixed
 * workload (single puts, batches, transactions, single and batch gets, peeks and size calls) from
 * several producer and consumer threads, with throughput, heap after a full GC and resident memory
 * printed at every interval, and a verdict at the end: every item accounted for (count and
 * checksum), and memory flat (the heap after GC at the end within a margin of the heap after
 * warm-up). The ray backend's soak is queue-ray's {@code RaySoak} ({@code scripts/ray-cluster.sh soak}),
 * the same workload on a real cluster.
 *
 * <pre>
 *   java -cp ... dev.conduit.queue.reliability.SoakRunner --seconds 600 --backends local,priority,shm,rpc
 * </pre>
 *
 * Exit code 0 when every backend passed, 1 otherwise.
 */
public final class SoakRunner {
    private final SoakWorkload workload;

    SoakRunner(int seconds, int intervalSeconds, int producers, int consumers) {
        this.workload = new SoakWorkload(seconds, intervalSeconds, producers, consumers);
    }

    /**
     * Runs the soak.
     *
     * @param args {@code --seconds N} per backend (default 600), {@code --interval N} (10),
     *     {@code --backends a,b} (local,priority,shm,rpc), {@code --producers N} (2), {@code --consumers N} (2)
     * @throws Exception on a setup failure
     */
    public static void main(String[] args) throws Exception {
        int seconds = 600;
        int interval = 10;
        int producers = 2;
        int consumers = 2;
        List<String> backends = List.of("local", "priority", "shm", "rpc");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--interval": interval = Integer.parseInt(args[++i]); break;
                case "--producers": producers = Integer.parseInt(args[++i]); break;
                case "--consumers": consumers = Integer.parseInt(args[++i]); break;
                case "--backends": backends = List.of(args[++i].split(",")); break;
                default:
                    System.err.println("unknown argument " + args[i]
                            + " (known: --seconds --interval --backends --producers --consumers)");
                    System.exit(2);
            }
        }
        SoakRunner runner = new SoakRunner(seconds, interval, producers, consumers);
        boolean ok = true;
        List<SoakWorkload.Result> results = new ArrayList<>();
        for (String b : backends) {
            SoakWorkload.Result r = runner.run(b);
            results.add(r);
            ok &= r.passed();
        }
        System.out.println();
        System.out.println(SoakWorkload.Result.header());
        for (SoakWorkload.Result r : results) {
            System.out.println(r.row());
        }
        System.exit(ok ? 0 : 1);
    }

    /**
     * Soaks one backend.
     *
     * @param backend local, priority, shm or rpc
     * @return the result
     * @throws Exception on a setup failure
     */
    SoakWorkload.Result run(String backend) throws Exception {
        QueueServer server = null;
        QueueDescriptor d;
        String id = "soak-" + ProcessHandle.current().pid() + "-" + backend;
        switch (backend) {
            case "local":
            case "priority":
                d = QueueDescriptor.of(backend, id).withNamespace("soak").withCapacity(4096);
                break;
            case "shm":
                d = QueueDescriptor.shm(id).withNamespace("soak").withCapacity(4096).withOption("itemSize", "128");
                break;
            case "rpc":
                server = QueueServer.builder().host("127.0.0.1").port(0).start();
                d = QueueDescriptor.rpc("127.0.0.1", server.port(), id).withCapacity(4096);
                break;
            default:
                throw new IllegalArgumentException("unknown backend " + backend);
        }
        try {
            return workload.run(backend, d);
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }
}
