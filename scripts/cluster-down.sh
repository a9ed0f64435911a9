#!/usr/bin/env bash
# Stops exactly the processes cluster-up.sh started, by PID.
set -euo pipefail
state="${CLUSTER_STATE:-$(cd "$(dirname "$0")/.." && pwd)/.cluster}"
[ -f "$state/pids" ] || { echo "No cluster is up."; exit 0; }
while read -r pid name; do
  if kill "$pid" 2>/dev/null; then echo "stopped $name ($pid)"; fi
done <"$state/pids"
rm -f "$state/pids"
