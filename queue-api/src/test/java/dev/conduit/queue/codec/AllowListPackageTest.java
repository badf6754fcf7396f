package dev.conduit.queue.codec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** allowPackage refuses JDK and one-part packages, however they are spelled (AllowList Javadoc). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AllowListPackageTest {

    @Test
    void jdkAndOnePartPackagesAreRefusedHoweverSpelled() {
        for (String p : new String[] {"com.sun", "com.sun.", "com.", "org.", " org. ", "java.util", "javax.", "jdk.internal",
            "sun.misc", "com..acme", ".com.acme", "com.acme..", "", "com", "."}) {
            AllowList list = new AllowList();
            assertThrows(IllegalArgumentException.class, () -> list.allowPackage(p), "'" + p + "'");
            assertFalse(list.permitsName("com.sun.rowset.JdbcRowSetImpl"), p);
            assertFalse(list.permitsName("org.apache.commons.collections.functors.InvokerTransformer"), p);
        }
    }

    @Test
    void aPackageOfYourOwnIsAllowedWithOrWithoutTheDot() {
        for (String p : new String[] {"com.acme.events", "com.acme.events.", " com.acme.events ", "com.sunrise.app"}) {
            AllowList list = new AllowList().allowPackage(p);
            assertTrue(list.permitsName(p.trim().replaceAll("\\.$", "") + ".OrderPlaced"), p);
            assertFalse(list.permitsName("com.acme.eventsX.Evil"), p);
        }
    }
}
