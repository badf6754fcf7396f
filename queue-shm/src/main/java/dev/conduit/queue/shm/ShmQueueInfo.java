package dev.conduit.queue.shm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What {@link ShmQueues#list} reports about one queue file. Immutable.
 *
 * @param file the file
 * @param namespace the queue's namespace
 * @param id the queue's id
 * @param size items queued (all lanes), or -1 when the file was refused
 * @param capacity items per lane, or -1 when refused
 * @param lanes priority lanes, or -1 when refused
 * @param itemSize the largest encoded item, or -1 when refused
 * @param users live processes that have the queue open
 * @param creatorAlive whether the process that created the file still runs
 * @param age time since the file was created (from its header, else its modification time)
 * @param problem why the file was refused, when it was
 */
public record ShmQueueInfo(Path file, String namespace, String id, long size, long capacity, int lanes,
        long itemSize, int users, boolean creatorAlive, Duration age, Optional<String> problem) {

    /** @return whether no live process uses the queue: {@code auto_cleanup} removes such files */
    public boolean isStale() {
        return users == 0 && !creatorAlive;
    }
}
