package dev.conduit.queue.ray;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The layout of the one {@code byte[]} argument of each frequent {@link QueueActor} call. One array
 * crosses Ray as a single raw binary, which costs far less than several separate arguments; the
 * payloads follow the header, so a request is built with one copy and the actor keeps slices of it.
 *
 * <pre>
 *   waiting calls:  int64 queue id | int64 wait millis | int64 cancel token | uint8 flags | ...
 *     offer:        ... | uint8 priority | payload bytes
 *     offerAll:     ... | frames
 *     poll:         ... | int32 max items
 *     awaitNotEmpty ...
 *   send, returnItems:  int64 queue id | frames
 * </pre>
 *
 * <p>The flags tell the actor how to count a call in the queue's metrics, where one operation may be
 * several calls (a non-waiting try, then waits of at most 30 s): {@link #LAST_TRY} marks the call
 * whose refusal ends a put as refused, {@link #CONTINUED} a call of an operation that already waited.
 *
 * <p>Stateless; thread-safe.
 */
final class Requests {
    static final int QUEUE_OFFSET = 0;
    static final int WAIT_OFFSET = QUEUE_OFFSET + Long.BYTES;
    static final int TOKEN_OFFSET = WAIT_OFFSET + Long.BYTES;
    static final int FLAGS_OFFSET = TOKEN_OFFSET + Long.BYTES;
    /** Length of the header every call that may wait starts with. */
    static final int WAITING_HEADER_LENGTH = FLAGS_OFFSET + 1;
    /** Flag: the client does not try again if this put is refused, so the refusal counts as rejected. */
    static final int LAST_TRY = 1;
    /** Flag: an earlier call of the same operation already waited, so this one's wait is not counted. */
    static final int CONTINUED = 2;
    static final int OFFER_PRIORITY_OFFSET = WAITING_HEADER_LENGTH;
    static final int OFFER_PAYLOAD_OFFSET = OFFER_PRIORITY_OFFSET + 1;
    static final int POLL_MAX_OFFSET = WAITING_HEADER_LENGTH;
    static final int POLL_LENGTH = POLL_MAX_OFFSET + Integer.BYTES;
    /** Where the frames of {@code send} and {@code returnItems} start. */
    static final int QUEUE_FRAMES_OFFSET = QUEUE_OFFSET + Long.BYTES;

    private Requests() {
    }

    /** An offer that is the put's last try. */
    static byte[] offer(long queue, byte[] payload, int priority, long waitMillis, long token) {
        return offer(queue, payload, priority, waitMillis, token, LAST_TRY);
    }

    static byte[] offer(long queue, byte[] payload, int priority, long waitMillis, long token, int flags) {
        return header(ByteBuffer.allocate(OFFER_PAYLOAD_OFFSET + payload.length), queue, waitMillis, token, flags)
                .put((byte) priority).put(payload).array();
    }

    /** An offerAll that is the put's last try. */
    static byte[] offerAll(long queue, List<byte[]> payloads, int[] priorities, long waitMillis, long token) {
        return offerAll(queue, payloads, priorities, waitMillis, token, LAST_TRY);
    }

    static byte[] offerAll(long queue, List<byte[]> payloads, int[] priorities, long waitMillis, long token,
            int flags) {
        byte[] request = Frames.write(WAITING_HEADER_LENGTH, payloads, priorities);
        header(ByteBuffer.wrap(request), queue, waitMillis, token, flags);
        return request;
    }

    static byte[] send(long queue, List<byte[]> payloads, int[] priorities) {
        byte[] request = Frames.write(QUEUE_FRAMES_OFFSET, payloads, priorities);
        ByteBuffer.wrap(request).putLong(QUEUE_OFFSET, queue);
        return request;
    }

    static byte[] returnItems(long queue, byte[] frames) {
        return ByteBuffer.allocate(QUEUE_FRAMES_OFFSET + frames.length).putLong(queue).put(frames).array();
    }

    static byte[] poll(long queue, int maxItems, long waitMillis, long token) {
        return poll(queue, maxItems, waitMillis, token, 0);
    }

    static byte[] poll(long queue, int maxItems, long waitMillis, long token, int flags) {
        return header(ByteBuffer.allocate(POLL_LENGTH), queue, waitMillis, token, flags).putInt(maxItems).array();
    }

    static byte[] await(long queue, long waitMillis, long token) {
        return await(queue, waitMillis, token, 0);
    }

    static byte[] await(long queue, long waitMillis, long token, int flags) {
        return header(ByteBuffer.allocate(WAITING_HEADER_LENGTH), queue, waitMillis, token, flags).array();
    }

    private static ByteBuffer header(ByteBuffer b, long queue, long waitMillis, long token, int flags) {
        return b.putLong(queue).putLong(waitMillis).putLong(token).put((byte) flags);
    }

    static long queue(byte[] request) {
        return ByteBuffer.wrap(request).getLong(QUEUE_OFFSET);
    }

    static long waitMillis(byte[] request) {
        return ByteBuffer.wrap(request).getLong(WAIT_OFFSET);
    }

    static long token(byte[] request) {
        return ByteBuffer.wrap(request).getLong(TOKEN_OFFSET);
    }

    static int flags(byte[] request) {
        return request[FLAGS_OFFSET] & 0xFF;
    }

    static int priority(byte[] offer) {
        return offer[OFFER_PRIORITY_OFFSET] & 0xFF;
    }

    static int maxItems(byte[] poll) {
        return ByteBuffer.wrap(poll).getInt(POLL_MAX_OFFSET);
    }
}
