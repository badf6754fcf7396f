#!/usr/bin/env bash
# The soak run (issue: reliability): every backend for 10 minutes under a mixed workload, with
# throughput, heap after GC and RSS over time, and a pass/fail verdict on loss and flat memory.
#
#   bash scripts/soak.sh                          10 minutes per backend: local, priority, shm, rpc
#   bash scripts/soak.sh --seconds 60 --interval 5 --backends local,shm
#   SOAK_BUILD=0 bash scripts/soak.sh ...         use the modules already installed in ~/.m2 (no rebuild)
#
# The class path is copied to a private directory before the run starts, so a long run is not
# disturbed by a rebuild of the same modules meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SOAK_BUILD:-1}" != 0 ]; then
  mvn -B -q -ntp -DskipTests install -pl queue-reliability -am >/dev/null
fi
snapshot=$(mktemp -d)
trap 'rm -rf "$snapshot"' EXIT
mvn -B -q -ntp -pl queue-reliability dependency:build-classpath -Dmdep.outputFile="$snapshot/cp" >/dev/null
cp -r queue-reliability/target/classes "$snapshot/classes"
cp_line="$snapshot/classes"
IFS=: read -r -a entries < "$snapshot/cp" || true  # the file has no final newline
for i in "${!entries[@]}"; do
  cp "${entries[$i]}" "$snapshot/$i-$(basename "${entries[$i]}")"
  cp_line="$cp_line:$snapshot/$i-$(basename "${entries[$i]}")"
done
java -Xmx512m -cp "$cp_line" dev.conduit.queue.reliability.SoakRunner "$@"
