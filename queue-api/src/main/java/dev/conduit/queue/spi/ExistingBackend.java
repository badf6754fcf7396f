package dev.conduit.queue.spi;

import dev.conduit.queue.Capability;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.QueueException;
import dev.conduit.queue.QueueMetrics;
import dev.conduit.queue.codec.Codec;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Type {@code existing}: a {@link BlockingQueue} the application already had, wrapped by
 * {@link QueueDescriptor#fromExisting}. Priorities are ignored and {@code putAll} is not atomic
 * (the wrapped object offers no way to make it so), so this backend lacks PRIORITY and
 * TRANSACTIONS. Works only in the JVM that registered the object.
 */
public final class ExistingBackend implements QueueBackend {

    @Override
    public String type() {
        return "existing";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.IN_JVM);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> QueueStore<T> open(QueueDescriptor descriptor, Codec<T> codec) {
        ExistingQueues.Entry entry = ExistingQueues.entry(descriptor);
        if (entry == null) {
            throw new QueueException("no queue object is registered as '" + descriptor.id() + "' in this JVM: it was "
                    + "destroyed, or registered (QueueDescriptor.fromExisting) in another JVM, where alone it can be opened");
        }
        return new Store<>(descriptor, (BlockingQueue<T>) entry.queue, entry.counters, capabilities());
    }

    private static final class Store<T> implements QueueStore<T> {
        private final QueueDescriptor d;
        private final BlockingQueue<T> q;
        private final Set<Capability> caps;
        /** The wrapped object cannot be woken by close(): waits run in slices of this length. */
        private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

        private final MetricsCounters counters;
        private volatile boolean closed;

        Store(QueueDescriptor d, BlockingQueue<T> q, MetricsCounters counters, Set<Capability> caps) {
            this.d = d;
            this.q = q;
            this.counters = counters;
            this.caps = caps;
        }

        private void checkOpen() {
            if (closed) {
                throw new QueueClosedException("queue handle " + d.qualifiedName() + " is closed");
            }
        }

        @Override
        public int capacity() {
            return d.capacity();
        }

        @Override
        public boolean offer(T item, int priority, long timeoutNanos) throws InterruptedException {
            checkOpen();
            boolean ok = q.offer(item);
            long deadline = Deadline.deadline(timeoutNanos);
            while (!ok && Deadline.remaining(deadline) > 0) {
                ok = q.offer(item, Math.min(SLICE_NANOS, Deadline.remaining(deadline)), TimeUnit.NANOSECONDS);
                checkOpen();
            }
            if (ok) {
                counters.puts(1);
            } else {
                counters.rejected();
            }
            return ok;
        }

        @Override
        public boolean tryOfferUncounted(T item, int priority) {
            checkOpen();
            if (q.offer(item)) {
                counters.puts(1);
                return true;
            }
            return false;
        }

        @Override
        public boolean offerAll(List<? extends T> items, int[] priorities, long timeoutNanos)
                throws InterruptedException {
            return addAll(items, timeoutNanos, true);
        }

        @Override
        public boolean tryOfferAllUncounted(List<? extends T> items, int[] priorities) throws InterruptedException {
            return addAll(items, 0, false);
        }

        /**
         * Adds a batch one item at a time (the wrapped object takes no batch, so a consumer may see
         * the first item before the last: no TRANSACTIONS), but never leaves only part of it: the
         * first item goes in only once there is room for all of them, waiting up to the timeout; after
         * that the rest go in whatever it takes, since other code may put into the same object and use
         * up the room meanwhile. So a refused batch added nothing, and a retried one is not doubled.
         *
         * @param countRefusal whether a refusal counts in the metrics (not for the first try of an
         *     asynchronous put, which goes on to wait)
         */
        private boolean addAll(List<? extends T> items, long timeoutNanos, boolean countRefusal)
                throws InterruptedException {
            checkOpen();
            int n = items.size();
            long deadline = Deadline.deadline(timeoutNanos);
            IdleStrategy idle = new BackoffIdleStrategy();
            for (int i = 0; q.remainingCapacity() < n; i++) {
                if (Deadline.remaining(deadline) == 0) {
                    if (countRefusal) {
                        counters.rejected();
                    }
                    return false;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                idle.idle(i);
                checkOpen();
            }
            boolean interrupted = false;
            for (T item : items) {
                // Waits only if a producer outside this handle took the batch's room: waits it out,
                // interrupts and all, rather than leave part of the batch in.
                for (;;) {
                    try {
                        if (q.offer(item, SLICE_NANOS, TimeUnit.NANOSECONDS)) {
                            break;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            counters.puts(n);
            return true;
        }

        @Override
        public T poll(long timeoutNanos) throws InterruptedException {
            checkOpen();
            T t = q.poll();
            long deadline = Deadline.deadline(timeoutNanos);
            while (t == null && Deadline.remaining(deadline) > 0) {
                t = q.poll(Math.min(SLICE_NANOS, Deadline.remaining(deadline)), TimeUnit.NANOSECONDS);
                if (t == null) {
                    checkOpen();
                }
            }
            if (t != null) {
                counters.gets(1);
            }
            return t;
        }

        @Override
        public int drainTo(Collection<? super T> sink, int maxItems, long timeoutNanos) throws InterruptedException {
            T first = poll(timeoutNanos);
            if (first == null) {
                return 0;
            }
            sink.add(first);
            int n = 1 + q.drainTo(sink, maxItems - 1);
            counters.gets(n - 1L);
            return n;
        }

        @Override
        public T peek() {
            checkOpen();
            return q.peek();
        }

        @Override
        public int size() {
            return q.size();
        }

        @Override
        public int clear() {
            checkOpen();
            int n = 0;
            while (q.poll() != null) {
                n++;
            }
            counters.cleared(n);
            return n;
        }

        @Override
        public boolean awaitNotEmpty(long timeoutNanos) throws InterruptedException {
            long deadline = Deadline.deadline(timeoutNanos);
            IdleStrategy idle = new BackoffIdleStrategy();
            for (int i = 0; q.isEmpty(); i++) {
                checkOpen();
                if (Deadline.remaining(deadline) == 0) {
                    return false;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                idle.idle(i);
            }
            return true;
        }

        @Override
        public QueueMetrics metrics() {
            return counters.snapshot(q.size(), capacity(), -1);
        }

        @Override
        public Set<Capability> capabilities() {
            return caps;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public void destroy() {
            closed = true;
            ExistingQueues.unregister(d);
        }
    }
}
