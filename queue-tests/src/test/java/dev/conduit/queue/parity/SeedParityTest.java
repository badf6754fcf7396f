package dev.conduit.queue.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conduit.queue.Backpressure;
import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueEmptyException;
import dev.conduit.queue.QueueFullException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codecs;
import dev.conduit.queue.spi.BackendRegistry;
import dev.conduit.queue.tck.JavaProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the Java counterpart of every usage example in the five seeds, exactly as
 * {@code docs/seed-parity.md} shows it: each example's code sits between
 * {@code // parity:begin <id>} and {@code // parity:end} below, and
 * {@link #docShowsExactlyTheCodeThisTestRuns()} fails when the page and this file differ (run with
 * {@code -Dparity.write=true} to copy the code into the page). Examples that need a backend not on
 * this class path (shm, ray) are skipped by an assumption until it is added; examples that need the
 * rpc module's server live in the page only, marked as such.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SeedParityTest {
    private static final Path DOC = Path.of(System.getProperty("basedir", "."), "..", "docs", "seed-parity.md");
    private static final Path SOURCE = Path.of(System.getProperty("basedir", "."),
            "src/test/java/dev/conduit/queue/parity/SeedParityTest.java");

    /** Unique ids keep JVM-wide named queues of different test runs apart. */
    private static String unique(String id) {
        return id + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static void assumeBackend(String type) {
        assumeTrue(BackendRegistry.getDefault().types().contains(type), "backend '" + type + "' not on the class path");
    }

    // ---------------------------------------------------------------------------------------- moodist

    @Test
    void moodistQueueHostedByOneOwner() throws Exception {
        String name = unique("data_queue");
        // parity:begin moodist-named-queue
        // Any thread (rank) may construct a named queue at any time; equal descriptors reach one queue.
        QueueDescriptor dataQueue = QueueDescriptor.local(name);
        MessageQueue<Object> onRank0 = dataQueue.open();
        MessageQueue<Object> onRank1 = dataQueue.open();   // later, independently
        onRank1.put("from rank 1");
        assertEquals("from rank 1", onRank0.get());
        // parity:end
        onRank0.destroy();
    }

    @Test
    void moodistTensorPutAndGet() throws Exception {
        MessageQueue<float[]> queue = QueueDescriptor.local(unique("tensors")).open(Codecs.floats());
        float[] tensor = {1f, 2f, 3f};
        // parity:begin moodist-tensors
        // put_tensor: a float[] (or double[], int[], long[]) travels as raw bytes, no serialization.
        queue.put(tensor);
        CompletableFuture<Void> work = queue.putAsync(tensor);  // capture the work to wait later
        work.join();                                            // work.wait()

        float[] t1 = queue.get();                               // blocking get
        try {
            float[] t2 = queue.getNowait();                     // block=False
        } catch (QueueEmptyException e) {
            System.out.println("Queue is empty");
        }
        try {
            float[] t3 = queue.get(Duration.ofSeconds(5));      // timeout=5.0
        } catch (QueueEmptyException e) {
            System.out.println("Timeout waiting for data");
        }
        // parity:end
        assertEquals(3, t1.length);
        queue.destroy();
    }

    @Test
    void moodistObjectsSizeAndWait() throws Exception {
        MessageQueue<Object> queue = QueueDescriptor.local(unique("objects")).open();
        // parity:begin moodist-objects
        // put_object: fire-and-forget; keep the future to wait for delivery.
        queue.putAsync(Map.of("key", "value", "data", List.of(1, 2, 3)));
        queue.putAsync(List.of(42, "hello"));
        CompletableFuture<Void> work = queue.putAsync("data");
        work.join();

        Object obj = queue.get(Duration.ofSeconds(1));  // get_object(timeout=1.0)
        int size = queue.size();                        // qsize(); return_size=True is get() then size()
        boolean empty = queue.isEmpty();                // empty()
        boolean ready = queue.awaitNotEmpty(Duration.ofSeconds(1)); // wait(timeout=1.0)
        // parity:end
        assertEquals(Map.of("key", "value", "data", List.of(1, 2, 3)), obj);
        assertEquals(2, size);
        assertFalse(empty);
        assertTrue(ready);
        queue.destroy();
    }

    @Test
    void moodistTransactions() throws Exception {
        MessageQueue<Object> queue = QueueDescriptor.local(unique("txn")).open();
        float[] tensor1 = {1f};
        float[] tensor2 = {2f};
        // parity:begin moodist-transaction
        // All items become visible atomically when the lambda returns.
        queue.transaction(txn -> {
            txn.put(tensor1);
            txn.put(tensor2);
            txn.put(Map.of("metadata", "info"));
        });
        // If the body throws, nothing is sent and the exception propagates.
        try {
            queue.transaction(txn -> {
                txn.put(tensor1);
                throw new IllegalStateException("Something went wrong");
            });
        } catch (IllegalStateException e) {
            // tensor1 was NOT sent
        }
        // parity:end
        assertEquals(3, queue.size());
        queue.destroy();
    }

    @Test
    void moodistExample1ProducerConsumer() throws Exception {
        String name = unique("rank1-queue");
        // parity:begin moodist-example-1
        // Two threads stand for rank 0 (producer) and rank 1 (consumer, hosting the queue).
        QueueDescriptor queue = QueueDescriptor.local(name);
        final int numTensors = 10;
        Thread rank0 = new Thread(() -> {
            try (MessageQueue<float[]> q = queue.open(Codecs.floats())) {
                Random random = new Random();
                for (int i = 0; i < numTensors; i++) {
                    float[] tensor = new float[100 * 100];
                    for (int j = 0; j < tensor.length; j++) {
                        tensor[j] = (float) random.nextGaussian();
                    }
                    q.put(tensor);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        rank0.start();
        List<float[]> received = new ArrayList<>();
        try (MessageQueue<float[]> q = queue.open(Codecs.floats())) {
            for (int i = 0; i < numTensors; i++) {
                received.add(q.get());   // process tensor...
            }
        }
        rank0.join();
        // parity:end
        assertEquals(numTensors, received.size());
        queue.open().destroy();
    }

    @Test
    void moodistExample4TransactionalPuts() throws Exception {
        MessageQueue<Object> queue = QueueDescriptor.local(unique("batches")).open();
        // parity:begin moodist-example-4
        // Rank 0: header + data atomically. Objects and tensors share one queue (default codec).
        queue.transaction(txn -> {
            txn.put(Map.of("type", "batch", "count", 3));
            txn.put(new float[10]);
            txn.put(new float[20]);
            txn.put(new float[30]);
        });
        // Rank 1: sees all four items or none.
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) queue.get();
        assertEquals("batch", header.get("type"));
        List<float[]> tensors = new ArrayList<>();
        for (int i = 0; i < (Integer) header.get("count"); i++) {
            tensors.add((float[]) queue.get());
        }
        // parity:end
        assertEquals(List.of(10, 20, 30), tensors.stream().map(t -> t.length).toList());
        queue.destroy();
    }

    @Test
    void moodistExample5NamedQueuesThroughQueues() throws Exception {
        QueueDescriptor control = QueueDescriptor.local(unique("control"));
        String workName = unique("work_queue");
        // parity:begin moodist-example-5
        MessageQueue<Object> controlQueue = control.open();
        // Rank 0: create a named work queue and send its descriptor through the control queue.
        MessageQueue<Object> workQueue = QueueDescriptor.local(workName).open();
        controlQueue.put(workQueue.descriptor());
        // Rank 1: receive the reference and use it.
        QueueDescriptor received = (QueueDescriptor) controlQueue.get();
        try (MessageQueue<Object> remoteView = received.open()) {
            remoteView.put(Map.of("task", "process_data", "id", 42));
        }
        // Rank 0: receive the work.
        Object task = workQueue.get();
        // parity:end
        assertEquals(Map.of("task", "process_data", "id", 42), task);
        workQueue.destroy();
        controlQueue.destroy();
    }

    @Test
    void moodistExample6NonBlockingPolling() throws Exception {
        int rank = 0;
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        List<Object> handled = new ArrayList<>();
        QueueDescriptor.local("commands_" + rank + "-" + suffix).open().put("cmd");
        // parity:begin moodist-example-6
        MessageQueue<Object> commandQueue = QueueDescriptor.local("commands_" + rank + "-" + suffix).open();
        MessageQueue<float[]> dataQueue =
                QueueDescriptor.local("data_" + rank + "-" + suffix).open(Codecs.floats());
        for (int iteration = 0; iteration < 1000; iteration++) {
            // Do computation...
            commandQueue.poll().ifPresent(cmd -> handled.add(cmd));     // handle_command(cmd)
            dataQueue.poll().ifPresent(tensor -> handled.add(tensor));  // process_tensor(tensor)
        }
        // parity:end
        assertEquals(List.of("cmd"), handled);
        commandQueue.destroy();
        dataQueue.destroy();
    }

    // ----------------------------------------------------------------------------------- pydotcompute

    /** The seed's message type: data with a priority. */
    record Message(Object data, int priority) {
        Message(Object data) {
            this(data, MessageQueue.DEFAULT_PRIORITY);
        }
    }

    @Test
    void pydotcomputeOverview() throws Exception {
        String id = unique("ring");
        Message message = new Message("m");
        // parity:begin pydotcompute-overview
        MessageQueue<Message> queue = QueueDescriptor.priority(id).withCapacity(1000).open();
        queue.put(message, message.priority());            // await queue.put(message)
        Message msg = queue.get(Duration.ofSeconds(1));    // highest priority first
        // parity:end
        assertEquals(message, msg);
        queue.destroy();
    }

    @Test
    void pydotcomputeBasicOperations() throws Exception {
        String id = unique("basic");
        // parity:begin pydotcompute-basic
        MessageQueue<Message> queue = QueueDescriptor.priority(id).withCapacity(100).open();
        for (Message m : List.of(new Message("first", 128), new Message("urgent", 255),
                new Message("background", 64))) {
            queue.put(m, m.priority());
        }
        Message msg1 = queue.get();  // urgent (255)
        Message msg2 = queue.get();  // first (128)
        Message msg3 = queue.get();  // background (64)
        // parity:end
        assertEquals(List.of("urgent", "first", "background"), List.of(msg1.data(), msg2.data(), msg3.data()));
        queue.destroy();
    }

    @Test
    void pydotcomputeBackpressureStrategies() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        // parity:begin pydotcompute-backpressure
        MessageQueue<Message> blockingQueue = QueueDescriptor.priority("blocking-" + suffix).withCapacity(10)
                .withOption("backpressure", Backpressure.BLOCK.name()).open();     // wait for space (default)
        MessageQueue<Message> rejectingQueue = QueueDescriptor.priority("rejecting-" + suffix).withCapacity(10)
                .withOption("backpressure", Backpressure.REJECT.name()).open();    // QueueFullException at once
        MessageQueue<Message> droppingQueue = QueueDescriptor.priority("dropping-" + suffix).withCapacity(10)
                .withOption("backpressure", Backpressure.DROP_OLDEST.name()).open(); // drop oldest, counted
        // parity:end
        for (int i = 0; i < 11; i++) {
            droppingQueue.putNowait(new Message(i));
        }
        assertEquals(1, droppingQueue.metrics().dropped());
        assertEquals(0, blockingQueue.size());
        assertEquals(0, rejectingQueue.size());
        List.of(blockingQueue, rejectingQueue, droppingQueue).forEach(MessageQueue::destroy);
    }

    @Test
    void pydotcomputeHandlingAFullQueue() throws Exception {
        String id = unique("full");
        boolean[] sawFull = {false};
        // parity:begin pydotcompute-full
        MessageQueue<Message> queue = QueueDescriptor.priority(id).withCapacity(10)
                .withOption("backpressure", "REJECT").open();
        for (int i = 0; i < 10; i++) {
            queue.put(new Message(i));
        }
        try {
            queue.put(new Message("overflow"));
        } catch (QueueFullException e) {
            System.out.println("Queue is full!");
            sawFull[0] = true;
        }
        // parity:end
        assertTrue(sawFull[0]);
        queue.destroy();
    }

    @Test
    void pydotcomputeTimeouts() throws Exception {
        MessageQueue<Message> queue = QueueDescriptor.priority(unique("timeouts")).withCapacity(1).open();
        Message message = new Message("m");
        int[] timeouts = {0};
        // parity:begin pydotcompute-timeouts
        try {
            Message msg = queue.get(Duration.ofSeconds(1));
        } catch (QueueEmptyException e) {
            System.out.println("No message available within timeout");
            timeouts[0]++;
        }
        queue.put(message);                                  // fills the queue of capacity 1
        try {
            queue.put(message, Duration.ofMillis(500));      // put with timeout (BLOCK strategy)
        } catch (QueueFullException e) {
            System.out.println("Could not add message within timeout");
            timeouts[0]++;
        }
        // parity:end
        assertEquals(2, timeouts[0]);
        queue.destroy();
    }

    @Test
    void pydotcomputeNonBlockingOperations() throws Exception {
        MessageQueue<Message> queue = QueueDescriptor.priority(unique("nonblocking")).withCapacity(100).open();
        // parity:begin pydotcompute-nonblocking
        Optional<Message> msg = queue.poll();       // get_nowait(): None when empty
        if (msg.isEmpty()) {
            System.out.println("Queue is empty");
        }
        Optional<Message> next = queue.peek();      // view without removing
        next.ifPresent(m -> System.out.println("Next message: " + m.data()));
        // parity:end
        assertTrue(msg.isEmpty());
        assertTrue(next.isEmpty());
        queue.destroy();
    }

    @Test
    void pydotcomputeMonitoringAndClear() throws Exception {
        MessageQueue<Message> queue = QueueDescriptor.priority(unique("monitored")).withCapacity(1000).open();
        // parity:begin pydotcompute-monitoring
        for (int i = 0; i < 500; i++) {
            queue.put(new Message(i));
        }
        System.out.println("Queue size: " + queue.size());
        System.out.println("Queue capacity: " + queue.capacity());
        System.out.println("Is empty: " + queue.isEmpty());
        System.out.println("Is full: " + queue.isFull());
        System.out.printf("Utilization: %.1f%%%n", queue.metrics().utilizationPercent());
        int cleared = queue.clear();                // number of messages cleared
        // parity:end
        assertEquals(500, cleared);
        queue.destroy();
    }

    @Test
    void pydotcomputePriorityOrdering() throws Exception {
        MessageQueue<Message> queue = QueueDescriptor.priority(unique("ordering")).withCapacity(100).open();
        // parity:begin pydotcompute-ordering
        for (Message m : List.of(new Message("A", 100), new Message("B", 200),
                new Message("C", 100), new Message("D", 150))) {
            queue.put(m, m.priority());
        }
        List<Object> order = new ArrayList<>();
        while (!queue.isEmpty()) {
            order.add(queue.get().data());
        }
        // Dequeue order: B (200), D (150), A (100), C (100): A before C, same priority, A first in
        assertEquals(List.of("B", "D", "A", "C"), order);
        // parity:end
        queue.destroy();
    }

    // ------------------------------------------------------------------------------------------- sage

    @Test
    void sageLocalQueue() throws Exception {
        String myLocalQueue = unique("my_local_queue");
        // parity:begin sage-local
        MessageQueue<Object> queue = QueueDescriptor.local(myLocalQueue).withCapacity(100).open();
        // parity:end
        assertEquals(100, queue.capacity());
        queue.destroy();
    }

    @Test
    void sageShmQueue() throws Exception {
        assumeBackend("shm");
        String myShmQueue = unique("my_shm_queue");
        // parity:begin sage-shm
        MessageQueue<Object> queue = QueueDescriptor.shm(myShmQueue).withNamespace("shared_queue")
                .withCapacity(1000).open();
        // parity:end
        queue.put("x");
        assertEquals("x", queue.get(Duration.ofSeconds(5)));
        queue.destroy();
    }

    @Test
    void sageHighPerformanceQueue() throws Exception {
        assumeBackend("shm");
        String mySageQueue = unique("my_sage_queue");
        // parity:begin sage-sage
        // The seed's "SAGE queue" (thread- and process-safe, multi-tenant): shm in its own namespace.
        QueueDescriptor descriptor = QueueDescriptor.shm(mySageQueue).withNamespace("my_namespace")
                .withCapacity(1024 * 1024).withOption("itemSize", "256");
        MessageQueue<Object> queue = descriptor.open();
        try {
            queue.put("tenant data");
            assertEquals("tenant data", queue.get(Duration.ofSeconds(5)));
        } finally {
            queue.destroy();   // auto_cleanup
        }
        // parity:end
    }

    @Test
    void sageRayQueues() throws Exception {
        assumeBackend("ray");
        String myRayQueue = unique("my_ray_queue");
        String myRayActorQueue = unique("my_ray_actor_queue");
        // parity:begin sage-ray
        // Ray queue: maxsize=0 (unlimited) becomes the largest capacity.
        MessageQueue<Object> rayQueue = QueueDescriptor.ray(myRayQueue).withCapacity(Integer.MAX_VALUE).open();
        // Ray actor queue: every Conduit ray queue lives in a named actor; the namespace groups them.
        MessageQueue<Object> actorQueue = QueueDescriptor.ray(myRayActorQueue).withNamespace("my_actor").open();
        // parity:end
        rayQueue.put("x");
        assertEquals("x", rayQueue.get(Duration.ofSeconds(30)));
        actorQueue.put("y");
        assertEquals("y", actorQueue.get(Duration.ofSeconds(30)));
        rayQueue.destroy();
        actorQueue.destroy();
    }

    @Test
    void sageRpcQueueDescriptorIsLazy() {
        // parity:begin sage-rpc
        // Creating the descriptor and the handle contacts nobody; the first operation connects.
        MessageQueue<Object> queue = QueueDescriptor.rpc("localhost", 8080, "my_rpc_queue").open();
        // parity:end
        assertEquals("rpc", queue.descriptor().type());
        queue.close();
    }

    @Test
    void sageBasicUsage() throws Exception {
        String example = unique("example");
        // parity:begin sage-basic
        MessageQueue<String> queue = QueueDescriptor.local(example).open();
        queue.put("hello");
        queue.put("world", Duration.ofSeconds(5));
        String item = queue.get();
        item = queue.get(Duration.ofSeconds(1));
        try {
            queue.putNowait("item");
            item = queue.getNowait();
        } catch (QueueFullException | QueueEmptyException e) {
            // pass
        }
        boolean isEmpty = queue.isEmpty();
        int size = queue.size();
        boolean isFull = queue.isFull();
        // parity:end
        assertEquals("item", item);
        assertTrue(isEmpty);
        assertEquals(0, size);
        assertFalse(isFull);
        queue.destroy();
    }

    @Test
    void sageSerialization() {
        MessageQueue<Object> queue = QueueDescriptor.local(unique("serial")).open();
        // parity:begin sage-serialization
        Map<String, Object> data = queue.descriptor().toMap();
        String jsonStr = queue.descriptor().toJson();
        QueueDescriptor queue2 = QueueDescriptor.fromMap(data);
        QueueDescriptor queue3 = QueueDescriptor.fromJson(jsonStr);

        Map<String, QueueDescriptor> queuePool = new LinkedHashMap<>();
        queuePool.put("q1", QueueDescriptor.local("q1"));
        queuePool.put("q2", QueueDescriptor.shm("q2"));
        String jsonData = QueueDescriptor.poolToJson(queuePool);
        Map<String, QueueDescriptor> restoredPool = QueueDescriptor.poolFromJson(jsonData);
        // parity:end
        assertEquals(queue.descriptor(), queue2);
        assertEquals(queue.descriptor(), queue3);
        assertEquals(queuePool, restoredPool);
        queue.destroy();
    }

    @Test
    void sageLazyLoading() throws Exception {
        String lazy = unique("lazy");
        // parity:begin sage-lazy
        MessageQueue<String> queue = QueueDescriptor.local(lazy).open();
        // No actual queue created yet
        queue.put("item");   // Now the underlying queue is created
        // parity:end
        assertEquals("item", queue.get());
        queue.destroy();
    }

    @Test
    void sageCloning() {
        // parity:begin sage-cloning
        QueueDescriptor original = QueueDescriptor.local("original");
        QueueDescriptor clone = original.withId("cloned_queue");
        // parity:end
        assertEquals("cloned_queue", clone.id());
        assertEquals(original.createdAt(), clone.createdAt());
    }

    @Test
    void sageFromExistingQueue() throws Exception {
        String fromExisting = unique("from_existing");
        // parity:begin sage-existing
        ArrayBlockingQueue<Object> existing = new ArrayBlockingQueue<>(100);
        QueueDescriptor descriptor = QueueDescriptor.fromExisting(existing, fromExisting);
        MessageQueue<Object> queue = descriptor.open();
        queue.put("through Conduit");
        // parity:end
        assertEquals("through Conduit", existing.poll());
        queue.destroy();
    }

    @Test
    void sageErrorHandling() throws Exception {
        MessageQueue<String> queue = QueueDescriptor.local(unique("errors")).withCapacity(1).open();
        queue.put("occupant");
        int errors = 0;
        // parity:begin sage-errors
        try {
            queue.put("item", Duration.ofSeconds(1));
        } catch (QueueFullException e) {
            System.out.println("Queue is full");
            errors++;
        }
        queue.clear();
        try {
            String item = queue.get(Duration.ofSeconds(1));
        } catch (QueueEmptyException e) {
            System.out.println("Queue is empty");
            errors++;
        }
        // parity:end
        assertEquals(2, errors);
        queue.destroy();
    }

    // ------------------------------------------------------------------------- shared-multiprocess-queue

    // parity:begin smq-quick-start-worker
    /** A worker process: connects to the queue by its descriptor and works until STOP. */
    public static final class TaskWorker {
        public static void main(String[] args) throws Exception {
            QueueDescriptor tasks = QueueDescriptor.fromJson(args[0]);
            int workerId = Integer.parseInt(args[1]);
            try (MessageQueue<String> queue = tasks.open()) {     // create=False: attach by name
                while (true) {
                    try {
                        String task = queue.get(Duration.ofSeconds(1));
                        if (task.equals("STOP")) {
                            break;
                        }
                        System.out.println("Worker " + workerId + " processing: " + task);
                        Thread.sleep(100);                          // Simulate work
                    } catch (QueueEmptyException e) {
                        continue;
                    }
                }
            }
        }
    }
    // parity:end

    @Test
    void sharedQueueQuickStart() throws Exception {
        assumeBackend("shm");
        String runId = unique("task_processor");
        // parity:begin smq-quick-start
        QueueDescriptor tasks = QueueDescriptor.shm("tasks").withNamespace(runId).withCapacity(1000)
                .withOption("itemSize", "4096");
        MessageQueue<String> workQueue = tasks.open();
        workQueue.size();                                          // create=True: make it now
        List<JavaProcess> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workers.add(JavaProcess.start(TaskWorker.class, tasks.toJson(), Integer.toString(i)));
        }
        try {
            for (int i = 0; i < 20; i++) {
                workQueue.put("task_" + i);
            }
            for (int i = 0; i < workers.size(); i++) {
                workQueue.put("STOP");
            }
            for (JavaProcess p : workers) {
                assertEquals(0, p.awaitExit(60), p.output());      // join
            }
            System.out.println("Final queue size: " + workQueue.size());
        } finally {
            workers.forEach(JavaProcess::close);
            workQueue.destroy();                                   // unlink
        }
        // parity:end
    }

    @Test
    void sharedQueueBatchOperations() throws Exception {
        assumeBackend("shm");
        String runId = unique("batch");
        // parity:begin smq-batch
        MessageQueue<String> queue = QueueDescriptor.shm("batch_queue").withNamespace(runId)
                .withCapacity(10_000).open();
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            batch.add("item_" + i);
            if (batch.size() >= 50) {
                queue.putAll(batch);                  // put_batch: atomic
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            queue.putAll(batch);
        }
        // parity:end
        assertEquals(100, queue.size());
        queue.destroy();
    }

    @Test
    void sharedQueueMetrics() throws Exception {
        assumeBackend("shm");
        String runId = unique("monitored");
        // parity:begin smq-metrics
        MessageQueue<String> queue = QueueDescriptor.shm("monitored_queue").withNamespace(runId)
                .withCapacity(1000).open();
        for (int i = 0; i < 100; i++) {
            queue.put("item_" + i);
        }
        QueueMetrics metrics = queue.metrics();
        System.out.println("Queue size: " + metrics.size());
        System.out.println("Capacity: " + metrics.capacity());
        System.out.printf("Utilization: %.1f%%%n", metrics.utilizationPercent());
        System.out.println("Item size limit: " + metrics.maxItemBytes() + " bytes");
        // parity:end
        assertEquals(100, metrics.size());
        assertEquals(10.0, metrics.utilizationPercent(), 1e-9);
        queue.destroy();
    }

    // parity:begin smq-cross-process-roles
    /** Producer process: 1000 items, then an end marker (Java queues hold no nulls). */
    public static final class Producer {
        public static void main(String[] args) throws Exception {
            try (MessageQueue<Object> queue = QueueDescriptor.fromJson(args[0]).open()) {
                for (int i = 0; i < 1000; i++) {
                    queue.put(Map.of("data", "item_" + i, "timestamp", System.currentTimeMillis()));
                }
                queue.put("END");                                   // sentinel
            }
        }
    }

    /** Consumer process: reads until the end marker and reports how many items it saw. */
    public static final class Consumer {
        public static void main(String[] args) throws Exception {
            List<Object> results = new ArrayList<>();
            try (MessageQueue<Object> queue = QueueDescriptor.fromJson(args[0]).open()) {
                while (true) {
                    Object item = queue.get();
                    if ("END".equals(item)) {
                        break;
                    }
                    results.add(item);
                }
            }
            System.out.println("consumed " + results.size());
        }
    }
    // parity:end

    @Test
    void sharedQueueCrossProcess() throws Exception {
        assumeBackend("shm");
        String runId = unique("data_pipeline");
        // parity:begin smq-cross-process
        QueueDescriptor dataQueue = QueueDescriptor.shm("data_queue").withNamespace(runId).withCapacity(2000);
        MessageQueue<Object> queue = dataQueue.open();
        queue.size();                                               // create it before the children start
        try (JavaProcess p1 = JavaProcess.start(Producer.class, dataQueue.toJson());
                JavaProcess p2 = JavaProcess.start(Consumer.class, dataQueue.toJson())) {
            assertEquals(0, p1.awaitExit(60), p1.output());
            assertEquals(0, p2.awaitExit(60), p2.output());
            assertTrue(p2.output().contains("consumed 1000"), p2.output());
        } finally {
            queue.destroy();                                        // unlink
        }
        // parity:end
    }

    @Test
    void sharedQueueTimeoutsAndUseCases() throws Exception {
        assumeBackend("shm");
        String runId = unique("system");
        List<String> processed = new ArrayList<>();
        // parity:begin smq-timeouts-and-use-cases
        MessageQueue<String> queue = QueueDescriptor.shm("timeout_queue").withNamespace(runId)
                .withCapacity(10).open();
        try {
            queue.put("item", Duration.ofSeconds(5));       // waits up to 5 s for space
        } catch (QueueFullException e) {
            System.out.println("Queue was full for 5 seconds");
        }
        try {
            String item = queue.get(Duration.ofSeconds(2)); // waits up to 2 s for an item
        } catch (QueueEmptyException e) {
            System.out.println("No items available for 2 seconds");
        }
        // Task distribution: a batch in, workers polling with get_nowait and a short sleep.
        MessageQueue<String> taskQueue = QueueDescriptor.shm("tasks").withNamespace(runId).withCapacity(50_000)
                .withOption("itemSize", "8192").open();
        taskQueue.putAll(List.of("t1", "t2", "t3"));
        while (processed.size() < 3) {
            Optional<String> task = taskQueue.poll();
            if (task.isPresent()) {
                processed.add(task.get());                   // process_task(task)
            } else {
                Thread.sleep(10);
            }
        }
        // Inter-service: service A creates "events", service B attaches to it by the same name.
        MessageQueue<String> published = QueueDescriptor.shm("events").withNamespace(runId)
                .withCapacity(10_000).open();
        MessageQueue<String> subscribed = QueueDescriptor.shm("events").withNamespace(runId)
                .withCapacity(10_000).open();
        published.put("event");
        String event = subscribed.get();                     // handle_event(event)
        // parity:end
        assertEquals(List.of("t1", "t2", "t3"), processed);
        assertEquals("event", event);
        List.of(queue, taskQueue, published).forEach(MessageQueue::destroy);
    }

    // ---------------------------------------------------------------------------------- the page itself

    private static final Pattern REGION = Pattern.compile(
            "(?m)^[ \\t]*// parity:begin ([a-z0-9-]+)[ \\t]*\\n(.*?)^[ \\t]*// parity:end[ \\t]*$", Pattern.DOTALL);
    private static final Pattern DOC_BLOCK = Pattern.compile(
            "<!-- parity:([a-z0-9-]+) -->\\n```java\\n(.*?)```", Pattern.DOTALL);

    /** The code regions of this file, by id, with their common indentation removed. */
    static Map<String, String> regions(String source) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = REGION.matcher(source);
        while (m.find()) {
            if (out.put(m.group(1), dedent(m.group(2))) != null) {
                throw new AssertionError("region '" + m.group(1) + "' appears twice");
            }
        }
        return out;
    }

    static String dedent(String block) {
        List<String> lines = block.lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return sb.toString();
    }

    @Test
    void docShowsExactlyTheCodeThisTestRuns() throws IOException {
        Map<String, String> code = regions(Files.readString(SOURCE, StandardCharsets.UTF_8));
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("parity.write")) {
            Matcher m = DOC_BLOCK.matcher(doc);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String body = code.getOrDefault(m.group(1), m.group(2));
                m.appendReplacement(sb, Matcher.quoteReplacement("<!-- parity:" + m.group(1) + " -->\n```java\n"
                        + body + "```"));
            }
            m.appendTail(sb);
            doc = sb.toString();
            Files.writeString(DOC, doc, StandardCharsets.UTF_8);
        }
        Map<String, String> shown = new LinkedHashMap<>();
        Matcher m = DOC_BLOCK.matcher(doc);
        while (m.find()) {
            shown.put(m.group(1), m.group(2));
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : code.entrySet()) {
            String inDoc = shown.get(e.getKey());
            if (inDoc == null) {
                problems.add("docs/seed-parity.md has no block <!-- parity:" + e.getKey() + " -->");
            } else if (!inDoc.equals(e.getValue())) {
                problems.add("block '" + e.getKey() + "' differs from the test's code");
            }
        }
        for (String id : shown.keySet()) {
            if (!code.containsKey(id)) {
                problems.add("docs/seed-parity.md block '" + id + "' has no region in SeedParityTest");
            }
        }
        assertEquals(List.of(), problems, "run: mvn -pl queue-tests test -Dtest=SeedParityTest -Dparity.write=true");
        assertTrue(code.size() >= 30, "only " + code.size() + " examples found");
    }

    @Test
    void everyCounterpartRegionIsNonEmpty() throws IOException {
        Map<String, String> code = regions(Files.readString(SOURCE, StandardCharsets.UTF_8));
        code.forEach((id, body) -> assertFalse(body.isBlank(), "region " + id + " is empty"));
        assertThrows(AssertionError.class, () -> regions("// parity:begin a\nx\n// parity:end\n"
                + "// parity:begin a\ny\n// parity:end\n"));
    }
}
