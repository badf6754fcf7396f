package dev.conduit.queue.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a target's verdict is taken from its rounds: each round put in a host state from the four
 * floors around its two forks, and the verdict from the matched (near and far) rounds when there
 * are enough of them. Pure arithmetic: no benchmark runs.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PairedRatioTest {
    private static final double BASE = 80;
    private static final Comparison TARGET = Comparison.TARGETS.get(0);

    private static PairedRatio.Round near(int round, double ratio) {
        return new PairedRatio.Round(round, ratio, 90, 100, 85, 120);
    }

    private static PairedRatio.Round far(int round, double ratio) {
        return new PairedRatio.Round(round, ratio, 540, 560, 520, 600);
    }

    /** The subject's fork started near and ended far: the state changed during it. */
    private static PairedRatio.Round changedDuringAFork(int round, double ratio) {
        return new PairedRatio.Round(round, ratio, 90, 550, 100, 110);
    }

    @Test
    void everyArrayBlockingQueueTargetHasTheCeilingOfItsScenarioAtTheSameTarget() {
        List<Comparison> abqTargets = Comparison.TARGETS.stream()
                .filter(c -> c.reference() == Contender.ARRAY_BLOCKING_QUEUE).toList();
        assertFalse(abqTargets.isEmpty());
        for (Comparison target : abqTargets) {
            List<Comparison> ceilings = Comparison.CEILINGS.stream()
                    .filter(c -> c.scenario() == target.scenario()).toList();
            assertEquals(1, ceilings.size(), "one ceiling for " + target.scenario());
            Comparison ceiling = ceilings.get(0);
            assertEquals(Contender.MPMC_ARRAY_QUEUE, ceiling.subject());
            assertEquals(target.reference(), ceiling.reference());
            assertEquals(target.target(), ceiling.target(), 1e-9);
        }
        // A ceiling is no target of Conduit's: it is not in the list the verdicts come from.
        assertTrue(Comparison.CEILINGS.stream().noneMatch(Comparison.TARGETS::contains));
    }

    @Test
    void aRoundIsNearOrFarOnlyWhenAllFourFloorsAgree() {
        assertEquals(PairedRatio.State.NEAR, near(0, 1).state(BASE));
        assertEquals(PairedRatio.State.FAR, far(0, 1).state(BASE));
        assertEquals(PairedRatio.State.MIXED, changedDuringAFork(0, 1).state(BASE));
        assertEquals(PairedRatio.State.MIXED, new PairedRatio.Round(0, 1, 90, 100, 540, 560).state(BASE));
        // A floor at exactly NEAR_FACTOR times the base is still near.
        assertEquals(PairedRatio.State.NEAR, new PairedRatio.Round(0, 1, 240, 240, 240, 240).state(BASE));
        // A missing floor (a fork without a sample) is never a like-for-like pair.
        assertEquals(PairedRatio.State.MIXED, new PairedRatio.Round(0, 1, 90, Double.NaN, 90, 90).state(BASE));
    }

    @Test
    void theVerdictIsTheMedianOfTheMatchedRoundsWhenThereAreEnough() {
        // Every target's reference is beaten by 1.0x or more in the matched rounds, and the mixed ones say 0.1x.
        PairedRatio p = new PairedRatio(TARGET, List.of(near(0, 1.0 * TARGET.target()),
                changedDuringAFork(1, 0.1), far(2, 0.9 * TARGET.target()), changedDuringAFork(3, 0.1),
                near(4, 1.1 * TARGET.target()), changedDuringAFork(5, 0.1)), BASE);
        assertTrue(p.verdictOnMatched());
        assertEquals(3, p.matched().size());
        assertEquals(1.0 * TARGET.target(), p.median().orElseThrow(), 1e-9);
        assertEquals(Comparison.Verdict.PASS, p.verdict());
        assertEquals(2, p.roundsMet());
        assertEquals(3, p.verdictRounds().size());
        assertEquals(2, p.inState(PairedRatio.State.NEAR).size());
        assertEquals(1, p.inState(PairedRatio.State.FAR).size());
        assertEquals(3, p.inState(PairedRatio.State.MIXED).size());
        assertEquals(0.1, p.medianInState(PairedRatio.State.MIXED).orElseThrow(), 1e-9);
        // The range still spans every round.
        assertEquals(0.1, p.min(), 1e-9);
    }

    @Test
    void withTooFewMatchedRoundsTheVerdictIsTheMedianOfEveryRound() {
        PairedRatio p = new PairedRatio(TARGET, List.of(near(0, 2.0 * TARGET.target()),
                changedDuringAFork(1, 0.1), changedDuringAFork(2, 0.2), near(3, 2.0 * TARGET.target()),
                changedDuringAFork(4, 0.3)), BASE);
        assertFalse(p.verdictOnMatched());
        assertEquals(5, p.verdictRounds().size());
        assertEquals(0.3, p.median().orElseThrow(), 1e-9);
        assertEquals(Comparison.Verdict.MISS, p.verdict());
    }

    @Test
    void theDescriptionGivesEachRoundsStateAndItsFourFloors() {
        PairedRatio p = new PairedRatio(TARGET, List.of(near(0, 1.5), changedDuringAFork(1, 0.25)), BASE);
        assertEquals("1.50× near (90.0→100/85.0→120 ns), 0.25× mixed (90.0→550/100→110 ns)", p.describeRounds());
    }
}
