#!/usr/bin/env bash
# Starts a local cluster on loopback: Garnet (Orleans membership, grain state and the outbox), one
# Orleans silo per entry of SILO_PORTS (two by default) and the Api as an Orleans client of them.
# Stop it with cluster-down.sh. Ports can be moved with GARNET_PORT, SILO_PORTS ("5101 5102": the
# silos' HTTP ports; each silo's Orleans silo and gateway ports are that port + 10000 and + 20000)
# and API_PORT, the state directory (pids, logs, mail, Garnet data, secrets) with CLUSTER_STATE
# (default .cluster). Mail goes to $CLUSTER_STATE/mail as .eml files.
# `cluster-up.sh --restart NAME` (NAME as in the pids file, e.g. silo-5101) starts one process of
# an up cluster again, after it died or was killed, with the command it first had; its pid is
# replaced in the pids file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="${CLUSTER_STATE:-$root/.cluster}"

if [ "${1:-}" = --restart ]; then
  name=${2:?usage: cluster-up.sh --restart NAME}
  [ -f "$state/$name.cmd" ] || { echo "No process named $name in $state." >&2; exit 1; }
  pid=$(awk -v n="$name" '$2 == n { print $1 }' "$state/pids")
  # A zombie (killed, not yet reaped by whoever inherited it) is not running.
  if [ -n "$pid" ] && [ -r "/proc/$pid/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"; then
    echo "$name ($pid) is still running." >&2; exit 1
  fi
  cd "$root"
  # exec: the pid recorded is the program's own, which cluster-down.sh stops.
  bash -c "exec $(cat "$state/$name.cmd")" >>"$state/$name.log" 2>&1 &
  awk -v n="$name" -v p=$! '$2 == n { $1 = p } { print }' "$state/pids" >"$state/pids.new" && mv "$state/pids.new" "$state/pids"
  url=$(cat "$state/$name.health" 2>/dev/null || true)
  [ -z "$url" ] && exit 0
  for _ in $(seq 1 300); do [ "$(curl -sS -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = 200 ] && exit 0; sleep 0.2; done
  echo "$url did not answer 200 within 60 s; see $state/$name.log" >&2; exit 1
fi
garnet_port=${GARNET_PORT:-6390}
read -r -a silo_ports <<<"${SILO_PORTS:-5101 5102}"
api_port=${API_PORT:-5100}

if [ -f "$state/pids" ]; then echo "A cluster is already up (see $state/pids); run scripts/cluster-down.sh first." >&2; exit 1; fi
orleans_ports=()
for port in "${silo_ports[@]}"; do orleans_ports+=($((port + 10000)) $((port + 20000))); done
for port in "$garnet_port" "${silo_ports[@]}" "${orleans_ports[@]}" "$api_port"; do
  if [ "$port" -gt 65535 ] || (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is in use or out of range; move it with GARNET_PORT, SILO_PORTS or API_PORT." >&2; exit 1
  fi
done
mkdir -p "$state"
cd "$root"
# Half a cluster is no use: if anything fails to come up, stop what did.
trap 'bash "$root/scripts/cluster-down.sh"' ERR
dotnet tool restore >/dev/null
for project in src/Silo src/Api; do dotnet build -c Release "$project" -v q -nologo >/dev/null; done

start() { # name, command... (kept in NAME.cmd for --restart)
  local name=$1; shift
  printf '%q ' "$@" >"$state/$name.cmd"
  "$@" >"$state/$name.log" 2>&1 &
  echo "$! $name" >>"$state/pids"
}
wait_http() { # url: any answer, even a 503 naming what is missing, means the host is up
  for _ in $(seq 1 300); do
    [ "$(curl -sS -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ] && return 0
    sleep 0.2
  done
  echo "$1 did not answer 200 within 60 s; see $state/*.log" >&2; return 1
}

garnet_dll=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/garnet-server/2.2.8" -name GarnetServer.dll | head -n 1)
# Lua on and atomic (without --lua Orleans' Redis membership hangs in Joining; without
# --lua-transaction-mode two writers with one ETag can both win). Durable: every write goes to the
# append-only file, committed per operation and flushed before the client is answered, so a write a
# silo was told about survives Garnet being killed; --recover replays it on start (RELIABILITY.md).
# RandomAccess: with its native device Garnet aborts on the first AOF write on Debian 12.
start garnet env DOTNET_gcServer=0 dotnet "$garnet_dll" --bind 127.0.0.1 --port "$garnet_port" --lua --lua-transaction-mode -m 256m -i 16m \
  --checkpointdir "$state/garnet" --device-type RandomAccess --aof --aof-commit-freq 0 --aof-commit-wait --recover
for _ in $(seq 1 150); do (exec 3<>/dev/tcp/127.0.0.1/"$garnet_port") 2>/dev/null && break; sleep 0.2; done

# Every host that decides must key the distinct-account sketches alike: one secret per cluster, kept across restarts.
[ -f "$state/secret" ] || printf '0x%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$state/secret"
# Admin endpoints stay closed without a key; one is made for the cluster unless ADMIN_API_KEY gives it.
[ -f "$state/admin-key" ] || printf '%s\n' "${ADMIN_API_KEY:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}" >"$state/admin-key"
cluster_env=(Cluster__Provider=Redis Cluster__Redis="127.0.0.1:$garnet_port" Throttle__AccountHashSecret="$(cat "$state/secret")"
  Admin__ApiKey="$(cat "$state/admin-key")" DOTNET_gcServer=0)
for port in "${silo_ports[@]}"; do
  start "silo-$port" env "${cluster_env[@]}" Cluster__SiloPort=$((port + 10000)) Cluster__GatewayPort=$((port + 20000)) ASPNETCORE_URLS="http://127.0.0.1:$port" \
    dotnet src/Silo/bin/Release/net10.0/ThrottleCluster.Silo.dll --contentRoot "$root/src/Silo/bin/Release/net10.0"
done
for port in "${silo_ports[@]}"; do
  echo "http://127.0.0.1:$port/healthz" >"$state/silo-$port.health"
  wait_http "http://127.0.0.1:$port/healthz"
done

# The Orleans client connects at start, so the Api comes once the silos are in the membership.
start api env "${cluster_env[@]}" Email__PickupDirectory="$state/mail" ASPNETCORE_URLS="http://127.0.0.1:$api_port" \
  dotnet src/Api/bin/Release/net10.0/ThrottleCluster.Api.dll --contentRoot "$root/src/Api/bin/Release/net10.0"
wait_http "http://127.0.0.1:$api_port/healthz"

echo "Garnet  127.0.0.1:$garnet_port"
for port in "${silo_ports[@]}"; do echo "Silo    http://127.0.0.1:$port   (Orleans silo port $((port + 10000)), gateway $((port + 20000)))"; done
echo "Api     http://127.0.0.1:$api_port   (mail in $state/mail; admin key in $state/admin-key; logs and pids in $state)"
