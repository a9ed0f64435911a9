#!/usr/bin/env bash
# Stops exactly the processes cluster-up.sh started, by PID, last started first: the Api and the
# silos leave the membership while Garnet still holds it (a silo whose store is gone waits out its
# shutdown timeout instead). One that has not exited after STOP_SECONDS (default 30) is SIGKILLed.
set -euo pipefail
state="${CLUSTER_STATE:-$(cd "$(dirname "$0")/.." && pwd)/.cluster}"
[ -f "$state/pids" ] || { echo "No cluster is up."; exit 0; }
mapfile -t entries < <(tac "$state/pids")
for entry in "${entries[@]}"; do
  read -r pid name <<<"$entry"
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 1 $((${STOP_SECONDS:-30} * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null && echo "killed $name ($pid): still running ${STOP_SECONDS:-30} s after SIGTERM"; else echo "stopped $name ($pid)"; fi
done
rm -f "$state/pids"
