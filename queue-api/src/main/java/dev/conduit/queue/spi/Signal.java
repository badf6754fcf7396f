package dev.conduit.queue.spi;

import dev.conduit.queue.QueueClosedException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Padding before {@link SignalWaiters#waiters}: superclass fields are laid out first. The int fills
 * the 4-byte gap after a compressed object header, which HotSpot (JDK 15 and later) would otherwise
 * fill with the first subclass int that fits, putting {@code waiters} before the padding, on a line
 * it shares with whatever object lies before this one.
 */
abstract class SignalPad0 {
    int p00;
    long p01, p02, p03, p04, p05, p06, p07, p08;
}

/**
 * The waiter count, on a cache line of its own: every put and take of a queue reads it, so a field
 * written on the same line (another queue's counter, an object the allocator put next to it)
 * would cost each of them a cache miss.
 */
abstract class SignalWaiters extends SignalPad0 {
    volatile int waiters;
}

/** Padding after {@link SignalWaiters#waiters}. */
abstract class SignalPad1 extends SignalWaiters {
    long q01, q02, q03, q04, q05, q06, q07, q08;
}

/**
 * The blocking wait of in-JVM queues: a waiter spins briefly, then sleeps on a condition without
 * using a core; a publisher wakes sleepers only when there are any, so the fast path costs one
 * read of an uncontended field.
 *
 * <p>Protocol (the reason it cannot miss a wake-up): a waiter increments the waiter count with an
 * atomic read-modify-write, then re-checks its condition under the lock before sleeping; a
 * publisher makes its change visible with an atomic read-modify-write (a CAS or getAndAdd) and
 * only then calls {@link #signalAll()}, which reads the count. Both sides are totally ordered, so
 * either the publisher sees the waiter or the waiter sees the change.
 *
 * <p>Thread-safe.
 */
public final class Signal extends SignalPad1 {
    private static final int SPINS = 64;
    /** Belt and braces: sleepers re-check at least this often even without a signal. */
    private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private static final VarHandle WAITERS;

    static {
        try {
            WAITERS = MethodHandles.lookup().findVarHandle(SignalWaiters.class, "waiters", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    /**
     * Wakes one sleeping waiter, if there is one: for a change that one waiter can use (one item
     * put or taken). A woken waiter that leaves without using the change passes the wake-up on.
     * Call after publishing the change with an atomic read-modify-write.
     */
    public void signalOne() {
        if (waiters > 0) {
            lock.lock();
            try {
                changed.signal();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Wakes every sleeping waiter, if there is one: for a change several waiters may use (a batch,
     * a clear) or must see (close). Call after publishing the change with an atomic
     * read-modify-write.
     */
    public void signalAll() {
        if (waiters > 0) {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Wakes the puts that room made by takes may let through, for a queue whose single-item puts
     * wait on one signal and whose batch puts wait on another: one waiting single-item put per
     * freed slot (all of them when several slots were freed: one slot is of use to one of them,
     * and waking them all on every take is a stampede that costs more than the take) and every
     * waiting batch put (only each batch knows whether the room now suffices). Call after the
     * take published its change, as for {@link #signalOne()}.
     *
     * @param singles the signal single-item puts wait on
     * @param batches the signal batch puts wait on
     * @param many whether more than one slot was freed
     */
    public static void roomFreed(Signal singles, Signal batches, boolean many) {
        if (many) {
            singles.signalAll();
        } else {
            singles.signalOne();
        }
        batches.signalAll();
    }

    /** @return whether a caller is waiting */
    public boolean hasWaiters() {
        return waiters > 0;
    }

    /**
     * The wait loop of a blocking take or put: each time this signal finds {@code ready} true, runs
     * {@code afterWake} (a handle checks that it is still open) and then {@code attempt}, until the
     * attempt gives a result or the deadline passes.
     *
     * @param <R> the attempt's result
     * @param ready when an attempt may succeed, read with volatile semantics
     * @param closed as for {@link #await}
     * @param deadline from {@link Deadline#deadline}
     * @param afterWake runs after every wake-up, before the attempt; may throw
     * @param attempt one non-waiting try; null when it found nothing (or no room)
     * @return the attempt's result, or null when the deadline passed first
     * @throws InterruptedException if interrupted
     */
    public <R> R retryWhenReady(BooleanSupplier ready, BooleanSupplier closed, long deadline, Runnable afterWake,
            Supplier<R> attempt) throws InterruptedException {
        while (await(ready, closed, Deadline.remaining(deadline))) {
            afterWake.run();
            R result = attempt.get();
            if (result != null) {
                return result;
            }
        }
        return null;
    }

    /**
     * {@link #await} for a caller that takes nothing when ready ({@code awaitNotEmpty}): a wake-up
     * it received may have been meant for a taker, so it hands one on.
     *
     * @param ready the condition, read with volatile semantics
     * @param closed as for {@link #await}
     * @param timeoutNanos the longest wait
     * @return true when ready, false on timeout
     * @throws InterruptedException if interrupted
     */
    public boolean awaitWithoutTaking(BooleanSupplier ready, BooleanSupplier closed, long timeoutNanos)
            throws InterruptedException {
        boolean isReady = await(ready, closed, timeoutNanos);
        if (isReady) {
            signalOne();
        }
        return isReady;
    }

    /**
     * Waits until {@code ready} is true.
     *
     * @param ready the condition, read with volatile semantics
     * @param closed checked on every wake-up; when true the wait ends with
     *     {@link QueueClosedException}
     * @param timeoutNanos the longest wait
     * @return true when ready, false on timeout
     * @throws InterruptedException if interrupted
     */
    public boolean await(BooleanSupplier ready, BooleanSupplier closed, long timeoutNanos)
            throws InterruptedException {
        if (ready.getAsBoolean()) {
            return true;
        }
        if (timeoutNanos <= 0) {
            return false;
        }
        long deadline = Deadline.deadline(timeoutNanos);
        for (int i = 0; i < SPINS; i++) {
            Thread.onSpinWait();
            if (ready.getAsBoolean()) {
                return true;
            }
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        WAITERS.getAndAdd(this, 1);
        try {
            lock.lockInterruptibly();
            try {
                while (!ready.getAsBoolean()) {
                    if (closed.getAsBoolean()) {
                        changed.signal();
                        throw new QueueClosedException("the queue handle was closed while waiting");
                    }
                    long left = Deadline.remaining(deadline);
                    if (left == 0) {
                        return false;
                    }
                    try {
                        changed.awaitNanos(Math.min(left, MAX_SLEEP_NANOS));
                    } catch (InterruptedException e) {
                        // A signalOne() meant for us must not be lost with us.
                        changed.signal();
                        throw e;
                    }
                }
                return true;
            } finally {
                lock.unlock();
            }
        } finally {
            WAITERS.getAndAdd(this, -1);
        }
    }
}
