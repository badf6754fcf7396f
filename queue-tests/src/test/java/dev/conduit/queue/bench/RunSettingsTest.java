package dev.conduit.queue.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The command line of {@link BenchmarkReport}: rounds and repair rounds. Pure parsing: no benchmark runs. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RunSettingsTest {

    private static RunSettings parse(String... args) {
        return RunSettings.parse(args, null).settings();
    }

    @Test
    void aFullRunHasFiveRoundsAndUpToThreeRepairsAQuickOneOneRoundAndNone() {
        assertEquals(5, parse().rounds());
        assertEquals(3, parse().repairs());
        assertEquals(1, parse("--quick").rounds());
        assertEquals(0, parse("--quick").repairs());
    }

    @Test
    void repairsAreChosenOnTheCommandLineAndZeroTurnsThemOff() {
        assertEquals(2, parse("--repairs", "2").repairs());
        assertEquals(0, parse("--repairs", "0").repairs());
        assertEquals(4, parse("--quick", "--repairs", "4").repairs());
        assertTrue(parse("--repairs", "2").describe().contains("up to 2 repair rounds per target"),
                () -> parse("--repairs", "2").describe());
    }

    @Test
    void aNegativeOrNonNumericRepairCountIsRefusedWithItsValue() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> parse("--repairs", "-1"));
        assertTrue(negative.getMessage().contains("--repairs wants a whole number of at least 0, not '-1'"),
                negative::getMessage);
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> parse("--repairs", "x"));
        assertTrue(word.getMessage().contains("not 'x'"), word::getMessage);
        assertThrows(IllegalArgumentException.class, () -> parse("--repairs"));
        IllegalArgumentException noRounds = assertThrows(IllegalArgumentException.class, () -> parse("--rounds", "0"));
        assertTrue(noRounds.getMessage().contains("--rounds wants a whole number of at least 1, not '0'"),
                noRounds::getMessage);
    }
}
