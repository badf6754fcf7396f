#!/usr/bin/env bash
# Runs a main class of queue-reliability (the soak and the fault loops) in its own JVM with the JVM
# flags the durable journal needs (chronicle.jvm.args of the root pom.xml).
#
#   bash scripts/reliability-run.sh dev.conduit.queue.reliability.SoakRunner --seconds 60
#   RELIABILITY_BUILD=0 bash scripts/reliability-run.sh ...   use the modules already installed in ~/.m2
#
# The class path is copied to a private directory first, so a long run is not disturbed by a
# rebuild of the same modules meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
main=$1
shift
if [ "${RELIABILITY_BUILD:-1}" != 0 ]; then
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
read -r -a journal_flags <<< "$(sed -n 's:.*<chronicle.jvm.args>\(.*\)</chronicle.jvm.args>.*:\1:p' pom.xml)"
java -Xmx512m "${journal_flags[@]}" -cp "$cp_line" "$main" "$@"
