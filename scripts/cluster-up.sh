#!/usr/bin/env bash
# Starts a local cluster on loopback: Garnet, two silos and the Api. Stop it with cluster-down.sh.
# Ports can be moved with GARNET_PORT, SILO_PORTS ("5101 5102") and API_PORT, the state directory
# (pids, logs, mail, Garnet data) with CLUSTER_STATE (default .cluster).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="${CLUSTER_STATE:-$root/.cluster}"
garnet_port=${GARNET_PORT:-6390}
silo_ports=(${SILO_PORTS:-5101 5102})
api_port=${API_PORT:-5100}

if [ -f "$state/pids" ]; then echo "A cluster is already up (see $state/pids); run scripts/cluster-down.sh first." >&2; exit 1; fi
for port in "$garnet_port" "${silo_ports[@]}" "$api_port"; do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is already in use; move it with GARNET_PORT, SILO_PORTS or API_PORT." >&2; exit 1
  fi
done
mkdir -p "$state"
cd "$root"
# Half a cluster is no use: if anything fails to come up, stop what did.
trap 'bash "$root/scripts/cluster-down.sh"' ERR
dotnet tool restore >/dev/null
dotnet build -c Release src/Api -v q -nologo >/dev/null

start() { # name, command...
  local name=$1; shift
  "$@" >"$state/$name.log" 2>&1 &
  echo "$! $name" >>"$state/pids"
}
wait_http() { # url
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.2; done
  echo "No answer from $1; see $state/*.log" >&2; return 1
}

garnet_dll=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/garnet-server/2.2.8" -name GarnetServer.dll | head -n 1)
# Durable: every write goes to the append-only file, committed per operation and flushed before the
# client is answered, so a write a silo was told about survives Garnet being killed; --recover
# replays it on start (RELIABILITY.md). RandomAccess: with its native device Garnet aborts on the
# first AOF write on Debian 12.
start garnet dotnet "$garnet_dll" --bind 127.0.0.1 --port "$garnet_port" --lua --lua-transaction-mode -m 256m -i 16m \
  --checkpointdir "$state/garnet" --device-type RandomAccess --aof --aof-commit-freq 0 --aof-commit-wait --recover
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$garnet_port") 2>/dev/null && break; sleep 0.2; done

silos=""
for port in "${silo_ports[@]}"; do silos="$silos${silos:+,}http://127.0.0.1:$port"; done
# Every silo must key the distinct-account sketches alike: one secret per cluster, kept across restarts.
[ -f "$state/secret" ] || printf '0x%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$state/secret"
# Grain calls between silos carry a key of their own: without it, anyone reaching a silo could list or refund.
[ -f "$state/cluster-key" ] || od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$state/cluster-key"
for port in "${silo_ports[@]}"; do
  start "silo-$port" env Storage__Redis="127.0.0.1:$garnet_port" Throttle__AccountHashSecret="$(cat "$state/secret")" \
    Cluster__Silos="$silos" Cluster__Self="http://127.0.0.1:$port" Cluster__Key="$(cat "$state/cluster-key")" Admin__ApiKey="${ADMIN_API_KEY:-}" \
    dotnet src/Silo/bin/Release/net10.0/ThrottleCluster.Silo.dll --contentRoot "$root/src/Silo/bin/Release/net10.0" --urls "http://127.0.0.1:$port"
done
for port in "${silo_ports[@]}"; do wait_http "http://127.0.0.1:$port/healthz"; done

start api env Storage__Redis="127.0.0.1:$garnet_port" Cluster__Silos="$silos" Cluster__Key="$(cat "$state/cluster-key")" Email__PickupDirectory="$state/mail" \
  dotnet src/Api/bin/Release/net10.0/ThrottleCluster.Api.dll --contentRoot "$root/src/Api/bin/Release/net10.0" --urls "http://127.0.0.1:$api_port"
wait_http "http://127.0.0.1:$api_port/healthz"

echo "Garnet  127.0.0.1:$garnet_port"
echo "Silos   $silos"
echo "Api     http://127.0.0.1:$api_port   (mail in $state/mail, logs and pids in $state)"
