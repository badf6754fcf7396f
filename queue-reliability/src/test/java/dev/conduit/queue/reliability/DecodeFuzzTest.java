package dev.conduit.queue.reliability;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.conduit.queue.QueueDescriptor;
import dev.conduit.queue.SerializationException;
import dev.conduit.queue.codec.Codec;
import dev.conduit.queue.codec.Codecs;
import java.util.List;

/**
 * Jazzer fuzz tests of everything that reads bytes from elsewhere: descriptor JSON, descriptor
 * pools, and every codec's decode. The only exceptions allowed are the documented ones
 * ({@link IllegalArgumentException} for descriptors, {@link SerializationException} for codecs);
 * anything else (an NPE, an out-of-bounds read, an OutOfMemoryError) fails the test.
 *
 * <p>CI runs these in regression mode over the committed corpus in
 * {@code src/test/resources/dev/conduit/queue/reliability/DecodeFuzzTestInputs/}; fuzz for longer
 * with {@code JAZZER_FUZZ=1 mvn -pl queue-reliability test -Dtest=DecodeFuzzTest}: each target for the
 * {@code maxDuration} of its annotation (Jazzer fuzzes the first target of the class per run).
 */
class DecodeFuzzTest {
    private static final List<Codec<?>> CODECS = List.of(Codecs.objects(), Codecs.string(), Codecs.floats(),
            Codecs.doubles(), Codecs.ints(), Codecs.longs(), Codecs.bytes());

    @FuzzTest(maxDuration = "20s")
    void descriptorJsonIsParsedOrRefusedWithANamedField(FuzzedDataProvider data) {
        String json = data.consumeRemainingAsString();
        try {
            QueueDescriptor d = QueueDescriptor.fromJson(json);
            // What parses must round-trip exactly.
            if (!QueueDescriptor.fromJson(d.toJson()).equals(d)) {
                throw new AssertionError("round trip changed " + d);
            }
        } catch (IllegalArgumentException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("refusal without a message", expected);
            }
        }
    }

    @FuzzTest(maxDuration = "20s")
    void descriptorPoolIsParsedOrRefused(FuzzedDataProvider data) {
        try {
            QueueDescriptor.poolFromJson(data.consumeRemainingAsString());
        } catch (IllegalArgumentException expected) {
            // documented
        }
    }

    @FuzzTest(maxDuration = "30s")
    void everyCodecDecodesOrRefusesArbitraryBytes(FuzzedDataProvider data) {
        Codec<?> codec = CODECS.get(data.consumeInt(0, CODECS.size() - 1));
        byte[] bytes = data.consumeRemainingAsBytes();
        try {
            codec.decode(bytes, 0, bytes.length);
        } catch (SerializationException expected) {
            // documented
        }
    }
}
