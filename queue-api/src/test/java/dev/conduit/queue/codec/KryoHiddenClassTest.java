package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conduit.queue.SerializationException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A lambda's class is hidden: no other process (nor this one) can load it by name. With its package
 * allowed, the object codec must refuse it on encode, not write bytes that no decode can read.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class KryoHiddenClassTest {

    @Test
    void aLambdaFromAnAllowedPackageIsRefusedOnEncode() {
        Codec<Object> codec = Codecs.kryo(new AllowList().allowPackage(KryoHiddenClassTest.class.getPackageName()));
        Runnable task = () -> { };
        Supplier<String> supplier = () -> "x";
        for (Object lambda : new Object[] {task, supplier}) {
            SerializationException e = assertThrows(SerializationException.class, () -> codec.encode(lambda));
            assertTrue(e.getMessage().contains("lambda"), e.getMessage());
        }
    }
}
