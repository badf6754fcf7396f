package dev.conduit.queue.reliability;

import dev.conduit.queue.MessageQueue;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sequential specification every Lincheck test checks against: a bounded queue of
 * {@link #CAPACITY} items, higher priority first and FIFO within a priority. With every item at
 * {@link MessageQueue#DEFAULT_PRIORITY} it is a bounded FIFO. Not thread-safe (Lincheck runs it
 * sequentially).
 */
public class SequentialQueue {
    /** The capacity of every queue the Lincheck tests open. */
    static final int CAPACITY = 3;

    private final TreeMap<Integer, ArrayDeque<Integer>> lanes = new TreeMap<>();
    private int size;

    private boolean put(int v, int priority) {
        if (size >= CAPACITY) {
            return false;
        }
        lanes.computeIfAbsent(priority, k -> new ArrayDeque<>()).add(v);
        size++;
        return true;
    }

    /** @see QueueLinearizabilityTest#offer */
    public boolean offer(int v) {
        return put(v, MessageQueue.DEFAULT_PRIORITY);
    }

    /** @see PriorityLinearizabilityTest#putLow */
    public boolean putLow(int v) {
        return put(v, PriorityLinearizabilityTest.LOW);
    }

    /** @see PriorityLinearizabilityTest#putHigh */
    public boolean putHigh(int v) {
        return put(v, PriorityLinearizabilityTest.HIGH);
    }

    /** @see QueueLinearizabilityTest#poll */
    public Integer poll() {
        Map.Entry<Integer, ArrayDeque<Integer>> head = lanes.lastEntry();
        if (head == null) {
            return null;
        }
        Integer v = head.getValue().poll();
        if (head.getValue().isEmpty()) {
            lanes.remove(head.getKey());
        }
        size--;
        return v;
    }

    /** @see QueueLinearizabilityTest#peek */
    public Integer peek() {
        Map.Entry<Integer, ArrayDeque<Integer>> head = lanes.lastEntry();
        return head == null ? null : head.getValue().peek();
    }

    /** @see QueueLinearizabilityTest#size */
    public int size() {
        return size;
    }

    /** @see QueueLinearizabilityTest#putAllTwo */
    public boolean putAllTwo(int v) {
        if (size + 2 > CAPACITY) {
            return false;
        }
        put(v, MessageQueue.DEFAULT_PRIORITY);
        put(v + 100, MessageQueue.DEFAULT_PRIORITY);
        return true;
    }

    /** @see ClearingQueueLinearizabilityTest#clear */
    public int clear() {
        int n = size;
        lanes.clear();
        size = 0;
        return n;
    }
}
