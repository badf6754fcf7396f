package dev.conduit.queue.cli;

import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.rpc.RemoteQueueInfo;
import dev.conduit.queue.shm.JournalInfo;
import dev.conduit.queue.shm.ShmQueueInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code conduit ls}: the shm queue files and durable journals of a directory, or the queues of a
 * server's namespace.
 */
@Command(name = "ls", mixinStandardHelpOptions = true,
        description = {"List the queues of an shm directory or of a queue server.",
            "shm: the queue files and durable journals of --dir, every namespace unless --namespace is given.",
            "--server: the queues of one namespace (--namespace, default 'default')."})
final class LsCommand extends QueueCommand {
    @Override
    int run(PrintWriter out) {
        return address.remote() ? listRemote(out) : listShm(out);
    }

    private int listShm(PrintWriter out) {
        List<ShmQueueInfo> queues = address.shmQueues();
        List<JournalInfo> journals = address.journals();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            queues.forEach(i -> rows.add(row(i)));
            journals.forEach(i -> rows.add(row(i)));
            printJson(out, rows);
            return Conduit.OK;
        }
        if (queues.isEmpty() && journals.isEmpty()) {
            out.println("no shm queues or journals " + address.where()
                    + (address.namespace != null ? " in namespace '" + address.namespace + "'" : ""));
            return Conduit.OK;
        }
        if (!queues.isEmpty()) {
            out.printf("%-16s %-24s %10s %10s %5s %9s %5s %10s  %s%n", "NAMESPACE", "ID", "SIZE", "CAPACITY", "LANES",
                    "ITEM-SIZE", "USERS", "AGE", "STATE");
            for (ShmQueueInfo i : queues) {
                String state = i.problem().map(p -> "refused: " + p)
                        .orElse(i.isStale() ? "stale (no live user)" : "ok");
                out.printf(Locale.ROOT, "%-16s %-24s %10d %10d %5d %9d %5d %10s  %s%n", i.namespace(), i.id(),
                        i.size(), i.capacity(), i.lanes(), i.itemSize(), i.users(), age(i.age().toSeconds()), state);
            }
        }
        if (!journals.isEmpty()) {
            if (!queues.isEmpty()) {
                out.println();
            }
            out.printf("%-16s %-24s %10s %10s %11s %10s  %s%n", "NAMESPACE", "ID", "SIZE", "APPENDED", "SUBSCRIBERS",
                    "AGE", "STATE");
            for (JournalInfo i : journals) {
                String state = i.problem().map(p -> "refused: " + p).orElse("durable journal");
                out.printf(Locale.ROOT, "%-16s %-24s %10d %10d %11d %10s  %s%n", i.namespace(), i.id(), i.size(),
                        i.appended(), i.unread().size(), age(i.age().toSeconds()), state);
            }
        }
        return Conduit.OK;
    }

    private static Map<String, Object> row(ShmQueueInfo i) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("type", "shm");
        row.put("namespace", i.namespace());
        row.put("id", i.id());
        row.put("size", i.size());
        row.put("capacity", i.capacity());
        row.put("lanes", i.lanes());
        row.put("itemSize", i.itemSize());
        row.put("users", i.users());
        row.put("creatorAlive", i.creatorAlive());
        row.put("stale", i.problem().isEmpty() && i.isStale());
        row.put("ageSeconds", i.age().toMillis() / 1000.0);
        row.put("file", i.file().toString());
        row.put("problem", i.problem().orElse(null));
        return row;
    }

    private static Map<String, Object> row(JournalInfo i) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("type", "shm");
        row.put("durable", true);
        row.put("namespace", i.namespace());
        row.put("id", i.id());
        row.put("size", i.size());
        row.put("appended", i.appended());
        row.put("unreadBySubscriber", i.unread());
        row.put("ageSeconds", i.age().toMillis() / 1000.0);
        row.put("dir", i.dir().toString());
        row.put("problem", i.problem().orElse(null));
        return row;
    }

    private int listRemote(PrintWriter out) {
        List<RemoteQueueInfo> queues = address.remoteQueues();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (RemoteQueueInfo i : queues) {
                QueueMetrics m = i.metrics();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("type", "rpc");
                row.put("namespace", i.descriptor().namespace());
                row.put("id", i.descriptor().id());
                row.put("serverType", i.serverType());
                row.put("size", m.size());
                row.put("capacity", m.capacity());
                row.put("puts", m.puts());
                row.put("gets", m.gets());
                row.put("options", i.descriptor().options());
                rows.add(row);
            }
            printJson(out, rows);
            return Conduit.OK;
        }
        if (queues.isEmpty()) {
            out.println("no queues in namespace '" + address.namespaceOrDefault() + "' " + address.where());
            return Conduit.OK;
        }
        out.printf("%-16s %-24s %-9s %10s %10s %12s %12s%n", "NAMESPACE", "ID", "TYPE", "SIZE", "CAPACITY", "PUTS",
                "GETS");
        for (RemoteQueueInfo i : queues) {
            QueueMetrics m = i.metrics();
            out.printf(Locale.ROOT, "%-16s %-24s %-9s %10d %10d %12d %12d%n", i.descriptor().namespace(),
                    i.descriptor().id(), i.serverType(), m.size(), m.capacity(), m.puts(), m.gets());
        }
        return Conduit.OK;
    }

    private static String age(long seconds) {
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 7200) {
            return seconds / 60 + "m";
        }
        if (seconds < 172_800) {
            return seconds / 3600 + "h";
        }
        return seconds / 86_400 + "d";
    }
}
