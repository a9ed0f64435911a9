#!/usr/bin/env bash
# Benchmarks, load runs and the attack simulator: not part of the test command (they take minutes
# and want a quiet machine). Everything runs on 127.0.0.1 and is bounded in count and time.
# Usage: scripts/bench.sh micro | load [--seconds 5] | decisions [--engine garnet|memory]
#        | flood-memory [--engine memory|garnet] | mail [--emails 2000] | attack [--requests N ...]
# (see BENCHMARKS.md for every verb's options and the figures they produced).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -gt 0 ] || { sed -n '2,6p' "$0" | sed 's/^# //'; exit 2; }
dotnet tool restore >/dev/null
if [ "$1" = attack ]; then
  # The flood simulator is the admin CLI's `throttlectl attack`; it starts the Release Api it floods.
  for project in src/Api src/Cli; do
    dotnet build -c Release "$project" -v q -nologo >/dev/null
  done
  exec dotnet src/Cli/bin/Release/net10.0/ThrottleCluster.Cli.dll "$@"
fi
# `decisions` starts the Release silo (src/Silo) as a process of its own.
for project in src/Silo bench/ThrottleCluster.Benchmarks; do
  dotnet build -c Release "$project" -v q -nologo >/dev/null
done
exec dotnet bench/ThrottleCluster.Benchmarks/bin/Release/net10.0/ThrottleCluster.Benchmarks.dll "$@"
