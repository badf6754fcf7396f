package dev.conduit.queue.api;

import dev.conduit.queue.MessageQueue;
import dev.conduit.queue.QueueClosedException;
import dev.conduit.queue.QueueDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.IInvokedMethod;
import org.testng.IInvokedMethodListener;
import org.testng.ITestResult;
import org.testng.SkipException;
import org.testng.annotations.AfterMethod;
import org.testng.annotations.Listeners;
import org.testng.annotations.Test;

/**
 * The official Reactive Streams TCK ({@link FlowPublisherVerification}, TestNG, run on the JUnit
 * Platform by testng-engine) against {@link MessageQueue#asPublisher()} on a {@code local} queue.
 *
 * <p>A publisher of {@code n} elements is a fresh, uniquely named queue and two handles on it: a
 * feeder thread puts {@code 0..n-1} through one (blocking on a full queue), and once they are all
 * put and the queue is empty again, closes the other, whose {@code asPublisher()} the TCK
 * subscribes to. Closing the handle is how the contract ends that stream ("completes when the
 * handle is closed"); waiting for the queue to empty first makes it end after exactly {@code n}
 * items. {@code Long.MAX_VALUE} elements is an unbounded feed that never closes.
 *
 * <p>No failed publisher: a destroyed queue or a closed handle completes the stream (that is the
 * contract), and the publisher's only failures (a take that throws, e.g. a confined {@code shm}
 * side) happen at a take, after a request, whereas rule 1.4's test never requests; so
 * {@link #createFailedFlowPublisher()} returns null and the TCK skips the rules that need one.
 * The three multicast rules (1.11, optional) are skipped too: the subscribers of one queue compete.
 *
 * <p>Bounded in time: each rule gets at most {@link #RULE_LIMIT_S} seconds, and the class at most
 * {@link #CLASS_LIMIT_S} ({@link RuleTimeLimit}).
 */
@Listeners(AsPublisherTckTest.RuleTimeLimit.class)
public class AsPublisherTckTest extends FlowPublisherVerification<Long> {

    /** Expected signals: generous for a loaded 2-core machine (the TCK's own default is 100 ms). */
    private static final long DEFAULT_TIMEOUT_MS = 500;
    /** How long "no signal" checks (e.g. nothing before the first request) watch. */
    private static final long NO_SIGNALS_TIMEOUT_MS = 150;
    /** Rule 3.13: how long a cancelled subscriber may stay referenced. */
    private static final long GC_TIMEOUT_MS = 2_000;
    private static final long RULE_LIMIT_S = 30;
    private static final long CLASS_LIMIT_S = 150;
    /** Small, so that longer streams also exercise a full queue and a blocked feeder. */
    protected static final int CAPACITY = 16;

    /** What each rule opened, closed and destroyed after it. */
    private final List<Runnable> cleanups = new ArrayList<>();

    public AsPublisherTckTest() {
        super(new TestEnvironment(DEFAULT_TIMEOUT_MS, NO_SIGNALS_TIMEOUT_MS, DEFAULT_TIMEOUT_MS), GC_TIMEOUT_MS);
    }

    /** The queue a publisher runs over; {@code id} is fresh for each. */
    protected QueueDescriptor descriptor(String id) {
        return QueueDescriptor.local(id).withCapacity(CAPACITY);
    }

    @Override
    public Flow.Publisher<Long> createFlowPublisher(long elements) {
        QueueDescriptor d = descriptor("rs-tck-" + UUID.randomUUID());
        MessageQueue<Long> feed = d.open();
        MessageQueue<Long> view = d.open();
        Thread feeder = new Thread(() -> {
            try {
                for (long i = 0; i < elements; i++) {
                    feed.put(i);
                }
                // All put: the stream ends once the subscriber(s) took them all. Nothing signals
                // "empty", so this watches (1 ms apart) rather than waits on a latch.
                while (feed.size() > 0) {
                    Thread.sleep(1);
                }
                view.close();
            } catch (InterruptedException | QueueClosedException e) {
                // the rule is over: its queue was destroyed
            }
        }, "rs-tck-feeder-" + elements);
        feeder.setDaemon(true);
        synchronized (cleanups) {
            cleanups.add(() -> {
                feeder.interrupt();
                view.close();
                feed.destroy();
            });
        }
        feeder.start();
        return view.asPublisher();
    }

    @Override
    public Flow.Publisher<Long> createFailedFlowPublisher() {
        return null; // see the class comment
    }

    @Override
    public long maxElementsFromPublisher() {
        return Long.MAX_VALUE - 1; // any count, fed through a bounded queue
    }

    private static final String NOT_MULTICAST = "asPublisher() is not multicast: its subscribers compete for"
            + " the queue's items, each item going to one of them (MessageQueue.asPublisher's Javadoc)";

    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingOneByOne() {
        throw new SkipException(NOT_MULTICAST);
    }

    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfront() {
        throw new SkipException(NOT_MULTICAST);
    }

    @Override
    @Test
    public void optional_spec111_multicast_mustProduceTheSameElementsInTheSameSequenceToAllOfItsSubscribersWhenRequestingManyUpfrontAndCompleteAsExpected() {
        throw new SkipException(NOT_MULTICAST);
    }

    @AfterMethod(alwaysRun = true)
    public void destroyQueues() {
        List<Runnable> all;
        synchronized (cleanups) {
            all = new ArrayList<>(cleanups);
            cleanups.clear();
        }
        all.forEach(Runnable::run);
    }

    /**
     * Bounds each rule in time (TestNG has no JUnit {@code @Timeout}, and an {@code IHookable} only
     * wraps the methods a class declares itself, not the TCK's): a rule still running after its
     * share of time has its thread interrupted, which ends the TCK's waits with an
     * {@link InterruptedException} and fails the rule.
     */
    public static final class RuleTimeLimit implements IInvokedMethodListener {
        private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rs-tck-time-limit");
            t.setDaemon(true);
            return t;
        });
        private static final Map<Class<?>, Long> CLASS_START = new ConcurrentHashMap<>();
        private final Map<ITestResult, ScheduledFuture<?>> running = new ConcurrentHashMap<>();

        @Override
        public void beforeInvocation(IInvokedMethod method, ITestResult result) {
            if (!method.isTestMethod()) {
                return;
            }
            long start = CLASS_START.computeIfAbsent(result.getTestClass().getRealClass(), c -> System.nanoTime());
            long left = TimeUnit.SECONDS.toNanos(CLASS_LIMIT_S) - (System.nanoTime() - start);
            long limit = Math.min(TimeUnit.SECONDS.toNanos(RULE_LIMIT_S), Math.max(0, left));
            Thread rule = Thread.currentThread();
            running.put(result, TIMER.schedule(rule::interrupt, limit, TimeUnit.NANOSECONDS));
        }

        @Override
        public void afterInvocation(IInvokedMethod method, ITestResult result) {
            ScheduledFuture<?> limit = running.remove(result);
            if (limit != null && !limit.cancel(false)) {
                Thread.interrupted(); // fired as the rule ended: not for the next rule
                result.setStatus(ITestResult.FAILURE);
                result.setThrowable(new TimeoutException(method.getTestMethod().getMethodName()
                        + " outlasted its time limit (" + RULE_LIMIT_S + " s a rule, " + CLASS_LIMIT_S
                        + " s the class)"));
            }
        }
    }
}
