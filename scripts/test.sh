#!/usr/bin/env bash
# Runs every test of the solution. First installs what the tests start and is missing here:
# Redis, nginx, an SMTP sink, Chromium and Prometheus from Debian, and the Garnet tool from NuGet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

missing=()
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# Debian's python, not a pyenv one on PATH: the SMTP tests run /usr/bin/python3 -m aiosmtpd.
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# A real Prometheus server scrapes the cluster, and promtool lints every host's /metrics.
[ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || missing+=(prometheus)
# The SMTP test server is the npm smtp-server package.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "Installing ${missing[*]}"
  # Another apt run (an image's first boot) may hold the lock: wait for it instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi
dotnet tool restore

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# A hung test host is killed after 10 minutes; the engines it started die with it (see EngineProcess).
# The long Reliability faults run with scripts/reliability-long.sh instead (tests/Reliability.Tests/LongRuns.cs).
dotnet test ThrottleCluster.sln --filter "Run!=Long" --blame-hang-timeout 10m --blame-hang-dump-type none 2>&1 | tee "$log" || status=$?

echo
echo "================================ Test summary ================================"
grep -E '(Passed|Failed)! +- ' "$log" | sed -E 's/^ +//' || echo "No test assembly reported results (did the build fail? see above)."
if grep -qE '^ +Failed [A-Za-z]' "$log"; then
  echo "Failed tests:"
  grep -E '^ +Failed [A-Za-z]' "$log" | sed -E 's/^ +/  /'
fi
counts=$(grep -oE '(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+' "$log" | awk -F'[:,]' '{f+=$2; p+=$4} END {print p+0, f+0}')
passed=${counts% *}
failed=${counts#* }
echo "$passed passed, $failed failed"
if [ "$status" -eq 0 ]; then echo "RESULT: all tests passed"; else echo "RESULT: FAILED (dotnet test exit code $status)"; fi
exit "$status"
