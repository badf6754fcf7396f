package dev.conduit.queue.reliability;

/**
 * How hard the Lincheck tests work. CI uses the defaults (a reduced run that finishes in a minute
 * or two on two cores); the long run is {@code -Dconduit.lincheck.scale=20}.
 */
final class LincheckBudget {
    private static final int SCALE = Integer.getInteger("conduit.lincheck.scale", 1);

    private LincheckBudget() {
    }

    static int modelIterations() {
        return 8 * SCALE;
    }

    static int modelInvocations() {
        return 150;
    }

    static int stressIterations() {
        return 8 * SCALE;
    }

    static int stressInvocations() {
        return 500;
    }
}
