#!/usr/bin/env bash
# Runs every test: the whole Maven build on JDK 17, the Ray suite against a real local Ray
# cluster (installed and started by scripts/ray-cluster.sh, stopped afterwards even on failure),
# and the core modules again on JDK 25 when that JDK is present.
#
#   bash scripts/test.sh            everything
#   SKIP_RAY=1 bash scripts/test.sh without the Ray cluster (its tests then report as skipped)
#   SKIP_JDK25=1 bash scripts/test.sh without the second JDK pass
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }

MVN=(mvn -B -ntp -Dstyle.color=never)

step "Build and test every module on $(java -version 2>&1 | head -1)"
"${MVN[@]}" install

step "Javadoc of the public API, warnings fail the build"
"${MVN[@]}" -q -pl queue-api,queue-local,queue-priority,queue-shm,queue-rpc javadoc:javadoc \
  -Dmaven.javadoc.failOnWarnings=true

if [ "${SKIP_RAY:-0}" != 1 ] && [ -x scripts/ray-cluster.sh ]; then
  step "Ray: install, start a two-node cluster, run the ray suite, stop the cluster"
  bash scripts/ray-cluster.sh test
fi

JDK25=${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ "${SKIP_JDK25:-0}" != 1 ] && [ -x "$JDK25/bin/java" ]; then
  step "Core modules again on $("$JDK25/bin/java" -version 2>&1 | head -1)"
  JAVA_HOME="$JDK25" "${MVN[@]}" -pl queue-api,queue-local,queue-priority,queue-shm,queue-rpc,queue-tests test
fi

step "All tests passed"
