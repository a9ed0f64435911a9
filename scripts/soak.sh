#!/usr/bin/env bash
# Soak run, not part of the test command: a cluster on loopback (scripts/cluster-up.sh: Garnet, two
# Orleans silos, the Api as their client with pickup-directory mail) in a state directory of its
# own, with policy windows and idle-activation ages cut from hours to a minute or two, in --waves
# waves of steady traffic plus bursts over many accounts and sources (the flood simulator,
# scripts/bench.sh attack), each followed by quiet. Every few seconds it samples the RSS of the
# silos, the Api and Garnet (/proc/PID/status), the silos' activations (when their /metrics has
# Orleans' orleans_catalog_activations) and Garnet's DBSIZE and store size, and at the end prints
# start, peak and end of each, the peak and end of every phase, and the keys over time.
# --kill-every S (the long form of tests/Reliability.Tests' SiloKillTests): during traffic, every S
# seconds a silo, each in turn, is SIGKILLed and started again on its ports; at the end the run
# fails unless every Send the Api decided is one .eml and no account got more than its daily cap.
# Bounded: --seconds (default 300), of which the last --quiet share of every wave has no traffic.
# Usage: scripts/soak.sh [--seconds 300] [--waves 2] [--quiet 0.4] [--rate 100] [--burst 3000]
#                        [--burst-every 30] [--accounts 20000] [--sources 4000] [--sample 5]
#                        [--kill-every 0] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=300 waves=2 sample=5 quiet=0.4 rate=100 burst=3000 burst_every=30 accounts=20000 sources=4000 kill_every=0 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2 ;; --waves) waves=$2 ;; --sample) sample=$2 ;; --quiet) quiet=$2 ;; --rate) rate=$2 ;;
    --burst) burst=$2 ;; --burst-every) burst_every=$2 ;; --accounts) accounts=$2 ;; --sources) sources=$2 ;;
    --kill-every) kill_every=$2 ;; --out) out=$2 ;;
    *) sed -n '2,17p' "$0" | sed 's/^# //'; exit 2 ;;
  esac
  shift 2
done
wave_seconds=$(( seconds / waves ))
traffic_seconds=$(awk -v s="$wave_seconds" -v q="$quiet" 'BEGIN { printf "%d", s * (1 - q) }')
legit_every=100

export CLUSTER_STATE=${out:-$(mktemp -d /tmp/tc-soak-XXXXXX)}
export GARNET_PORT=${GARNET_PORT:-6490} SILO_PORTS=${SILO_PORTS:-"5201 5202"} API_PORT=${API_PORT:-5200}
mkdir -p "$CLUSTER_STATE"
api="http://127.0.0.1:$API_PORT"
samples="$CLUSTER_STATE/samples.tsv"
flood=(--attach --api "$api" --mail-dir "$CLUSTER_STATE/mail" --work-dir "$CLUSTER_STATE/attack"
  --accounts "$accounts" --sources "$sources" --legit-every "$legit_every" --drain-seconds 1)

# One accounts file for every run: a steady run has the most legitimate users, the others a prefix
# of them; every wave asks for the same accounts from the same sources, so a wave after the quiet
# shows whether memory comes back to the same level or grows. bench.sh builds the simulator; later runs start that build directly, so no rebuild touches
# binaries while the cluster runs them.
steady_requests=$(awk -v r="$rate" -v t="$traffic_seconds" 'BEGIN { printf "%d", r * t }')
export Accounts__File
Accounts__File=$(scripts/bench.sh attack "${flood[@]}" --requests "$steady_requests" --write-accounts-only | tail -n 1)
attack=(dotnet src/Cli/bin/Release/net10.0/ThrottleCluster.Cli.dll attack "${flood[@]}")

# What takes hours by default takes a minute or two here (every key is documented in docs/POLICIES.md
# and README.md; 30 s is the shortest collection age Cluster:* accepts). The daily windows (account
# sends, source day counts) are fixed at 24 h in the grains.
export Cluster__AccountCollectionAge=00:00:30 Cluster__CollectionAge=00:00:30 Tokens__Lifetime=00:01:00 \
  Throttle__Account__Cooldown=00:00:10 Throttle__Account__MaxCooldown=00:01:00 Throttle__Account__TokenLifetime=00:01:00 \
  Throttle__Ip__DistinctWindow=00:01:00 Throttle__Ip__BlockFor=00:01:00 Throttle__Ip__MaxBlock=00:02:00 Throttle__Ip__OffenceMemory=00:02:00 \
  Throttle__Network__DistinctWindow=00:01:00 Throttle__Network__BlockFor=00:01:00 Throttle__Network__MaxBlock=00:02:00 Throttle__Network__OffenceMemory=00:02:00 \
  Throttle__Domain__BaselineWindow=00:01:00 Throttle__Global__Hold=00:00:30 \
  Logging__LogLevel__Default=Warning

cleanup() {
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  bash scripts/cluster-down.sh >/dev/null || true
}
trap cleanup EXIT
bash scripts/cluster-up.sh

pid_of() { awk -v n="$1" '$2 == n { print $1 }' "$CLUSTER_STATE/pids"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
# The exporter labels every series (otel_scope_name): sum the series of the metric, whatever their labels.
activations() { curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '/^orleans_catalog_activations[{ ]/ { sum += $NF; n++ } END { if (n) printf "%d", sum }' || true; }
garnet() { redis-cli -p "$GARNET_PORT" "$@" 2>/dev/null || true; }
read -r silo1 silo2 <<<"$SILO_PORTS"
garnet_pid=$(pid_of garnet) api_pid=$(pid_of api)

printf 't_s\tphase\tgarnet_rss_mb\tgarnet_store_mb\tkeys\tsilo1_rss_mb\tsilo2_rss_mb\tapi_rss_mb\tactivations\tmails\n' >"$samples"
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
sample_loop() {
  while :; do
    local now=$(( $(date +%s) - started )) phase
    [ "$now" -gt "$seconds" ] && break
    phase="w$(( now / wave_seconds + 1 ))-traffic"
    [ $(( now % wave_seconds )) -ge "$traffic_seconds" ] && phase="${phase%-traffic}-quiet"
    local store keys acts
    store=$(garnet info memory | awk -F: '/^total_main_store_size:/ { printf "%.0f", $2 / 1048576 }')
    keys=$(garnet dbsize)
    acts="$(activations "$silo1")+$(activations "$silo2")"
    [[ $acts =~ ^[0-9]+\+[0-9]+$ ]] && acts=$((acts)) || acts="-"
    # Read each time: a killed silo comes back with a new pid.
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$phase" "$(rss_mb "$garnet_pid")" "$store" "$keys" \
      "$(rss_mb "$(pid_of "silo-$silo1")")" "$(rss_mb "$(pid_of "silo-$silo2")")" "$(rss_mb "$api_pid")" "$acts" \
      "$(find "$CLUSTER_STATE/mail" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l)" >>"$samples"
    sleep "$sample"
  done
}
sample_loop &
sampler=$!

# SIGKILL, then the same command again on the same ports (cluster-up.sh --restart), silo after silo.
kill_loop() {
  local n=0 victim pid
  read -r -a ports <<<"$SILO_PORTS"
  while :; do
    sleep "$kill_every"
    [ $(( $(date +%s) - started + kill_every )) -gt "$seconds" ] && break
    [ $(( ($(date +%s) - started) % wave_seconds )) -ge "$traffic_seconds" ] && continue
    victim="silo-${ports[$(( n % ${#ports[@]} ))]}"; n=$((n + 1))
    pid=$(pid_of "$victim")
    kill -9 "$pid" && echo "$(( $(date +%s) - started )) s: SIGKILLed $victim ($pid)" >>"$CLUSTER_STATE/kills.log"
    while [ -r "/proc/$pid/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"; do sleep 0.1; done
    bash scripts/cluster-up.sh --restart "$victim" >>"$CLUSTER_STATE/kills.log" 2>&1 \
      && echo "$(( $(date +%s) - started )) s: $victim back ($(pid_of "$victim"))" >>"$CLUSTER_STATE/kills.log" \
      || echo "$victim did not come back: see $CLUSTER_STATE/$victim.log" >&2
  done
}
if [ "$kill_every" -gt 0 ]; then kill_loop & killer=$!; fi

# Per wave. Steady: paced requests for the whole traffic phase. Bursts: as fast as they go, every
# --burst-every seconds. Then quiet until the wave's end.
bursts=0
for wave in $(seq 1 "$waves"); do
  wave_start=$(( started + (wave - 1) * wave_seconds ))
  "${attack[@]}" --requests "$steady_requests" --rate "$rate" --max-seconds "$traffic_seconds" \
    --out "$CLUSTER_STATE/steady-$wave.json" >"$CLUSTER_STATE/steady-$wave.log" 2>&1 &
  steady=$!
  while [ $(( $(date +%s) - wave_start + burst_every )) -lt "$traffic_seconds" ]; do
    sleep "$burst_every"
    bursts=$((bursts + 1))
    "${attack[@]}" --requests "$burst" --max-seconds "$burst_every" --out "$CLUSTER_STATE/burst-$bursts.json" \
      >"$CLUSTER_STATE/burst-$bursts.log" 2>&1 || echo "burst $bursts failed: see $CLUSTER_STATE/burst-$bursts.log" >&2
  done
  wait "$steady" || echo "steady traffic of wave $wave failed: see $CLUSTER_STATE/steady-$wave.log" >&2
  rest=$(( wave_start + wave_seconds - $(date +%s) ))
  [ "$rest" -gt 0 ] && sleep "$rest"
done
wait "$sampler"
[ "$kill_every" -gt 0 ] && wait "$killer"

echo
echo "Soak: $seconds s in $waves waves of $wave_seconds s ($traffic_seconds s traffic: $rate req/s steady + bursts of $burst every $burst_every s, $bursts in all; then quiet), samples every $sample s"
echo "      accounts $accounts, sources $sources; load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; samples in $samples"
awk -F'\t' 'NR == 1 { for (i = 3; i <= NF; i++) name[i] = $i; next }
  { for (i = 3; i <= NF; i++) { if (NR == 2) first[i] = $i; if ($i + 0 > peak[i] + 0) peak[i] = $i; last[i] = $i } }
  END { printf "%-16s %10s %10s %10s\n", "series", "start", "peak", "end";
        for (i = 3; i <= 10; i++) printf "%-16s %10s %10s %10s\n", name[i], first[i], peak[i], last[i] }' "$samples"
echo
echo "Peak / end of every phase:"
awk -F'\t' 'NR == 1 { next }
  $2 != phase { if (phase != "") report(); phase = $2; delete peak }
  { for (i = 3; i <= 10; i++) { if ($i + 0 > peak[i] + 0) peak[i] = $i; last[i] = $i } }
  function report() { printf "%-11s keys %6s/%-6s garnet %4s/%-4s MB  silos %4s/%-4s + %4s/%-4s MB  api %4s/%-4s MB  activations %6s/%-6s\n",
    phase, peak[5], last[5], peak[3], last[3], peak[6], last[6], peak[7], last[7], peak[8], last[8], peak[9], last[9] }
  END { report() }' "$samples"
echo
echo "Over time (every ~30 s):"
awk -F'\t' -v every="$(( 30 / sample > 0 ? 30 / sample : 1 ))" 'NR == 1 || (NR - 2) % every == 0 { printf "%6s %-8s keys %8s  garnet %5s MB  silos %5s+%-5s MB  api %5s MB  activations %7s  mails %6s\n", $1, $2, $5, $3, $6, $7, $8, $9, $10 }' "$samples" | tail -n +2
for f in "$CLUSTER_STATE"/steady-*.json "$CLUSTER_STATE"/burst-*.json; do
  [ -f "$f" ] && awk -v f="$(basename "$f")" '/"attack_requests"|"requests_per_s"|"emails"|"503"/ { gsub(/[ ,]/, ""); line = line " " $0 } END { print f ":" line }' "$f"
done

# Accounting, once the outbox has sent what it will: every Send the Api acted on is one .eml, and no
# account got more than Throttle:Account:PerDay (the soak's windows are all inside one day).
# metric NAME [LABEL]: the sum of NAME's series (with LABEL among their labels, when given).
metric() { curl -fsS "$api/metrics" | awk -v n="$1" -v l="${2:-}" '{ name = $1; sub(/\{.*/, "", name) } name == n && (l == "" || index($1, l)) { sum += $NF } END { printf "%d", sum }'; }
for _ in $(seq 1 60); do [ "$(metric tc_outbox_sent_total)" -ge "$(metric tc_outbox_enqueued_total)" ] && break; sleep 1; done
sends=$(metric tc_api_decisions_total 'verdict="Send"') mails=$(find "$CLUSTER_STATE/mail" -maxdepth 1 -name '*.eml' | wc -l)
per_day=${Throttle__Account__PerDay:-10}
most=$(find "$CLUSTER_STATE/mail" -maxdepth 1 -name '*.eml' -exec grep -h -m1 '^To:' {} + | sort | uniq -c | awk '$1 > most { most = $1 } END { print most + 0 }')
echo
echo "Accounting: $sends Send decisions, $(metric tc_outbox_enqueued_total) queued, $mails emails written; at most ${most:-0} to one address (cap $per_day a day);" \
  "$(grep -c SIGKILLed "$CLUSTER_STATE/kills.log" 2>/dev/null || echo 0) silo kills (see $CLUSTER_STATE/kills.log)"
[ "$sends" -eq "$mails" ] && [ "${most:-0}" -le "$per_day" ] || { echo "Accounting FAILED" >&2; exit 1; }
