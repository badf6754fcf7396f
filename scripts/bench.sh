#!/usr/bin/env bash
# Runs the in-JVM benchmark suite (JMH, queue-tests) and rewrites docs/benchmarks.md and its charts.
#
#   scripts/bench.sh            full run, about 12 minutes
#   scripts/bench.sh --quick    smoke run for CI, under 2 minutes
#
# Any other option goes to dev.conduit.queue.bench.BenchmarkReport (--help lists them).
# CONDUIT_BENCH_PROJECTS chooses what Maven builds first; the default builds queue-tests and the
# modules it needs, from a fresh clone. "-pl queue-tests" builds only the benchmarks, against
# modules already installed in the local repository.
set -euo pipefail
cd "$(dirname "$0")/.."

projects="${CONDUIT_BENCH_PROJECTS:--pl queue-tests -am}"
# shellcheck disable=SC2086  # $projects is a list of Maven options
mvn -B -q $projects -Dmaven.test.skip=true package dependency:build-classpath \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=runtime

classpath="queue-tests/target/classes:$(cat queue-tests/target/bench.classpath)"
command="scripts/bench.sh${*:+ $*}"
exec java -Djava.awt.headless=true -Dconduit.bench.command="$command" -cp "$classpath" \
    dev.conduit.queue.bench.BenchmarkReport --json queue-tests/target/jmh-result.json "$@"
