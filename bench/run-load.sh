#!/usr/bin/env bash
# Runs the HTTP load scenarios of docs/benchmarks.md against a fresh `keel server`.
#   bench/run-load.sh sqlite|postgresql [scenario ...]      (default: all scenarios)
#   MLFLOW_URL=http://127.0.0.1:5055 bench/run-load.sh mlflow ingest runs   (another server, same driver)
# Scenarios: ingest runs seed-search search history seed-registry registry-search. Prints each figure and the server's RSS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
backend="${1:-sqlite}"; shift || true
scenarios=("$@"); [ ${#scenarios[@]} -gt 0 ] || scenarios=(ingest runs seed-search search history)
out="$root/artifacts/bench"; mkdir -p "$out"
dotnet build "$root/src/Keel.Cli/Keel.Cli.csproj" -c Release -o "$out/keel" --nologo -v q >/dev/null
dotnet build "$root/bench/Keel.LoadDriver/Keel.LoadDriver.csproj" -c Release -o "$out/driver" --nologo -v q >/dev/null
driver="$out/driver/Keel.LoadDriver"
data="$(mktemp -d /tmp/keel-bench.XXXXXX)"
pid=""; pgdir=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ -n "$pgdir" ]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; fi
  rm -rf "$data"
}
trap cleanup EXIT
port=5099
case "$backend" in
  sqlite) args=(--data-dir "$data") ;;
  postgresql)
    pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    pgdir="$(mktemp -d /tmp/keel-bench-pg.XXXXXX)"; chown postgres "$pgdir"
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -o "-p 55499 -k $pgdir -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" -w start >/dev/null
    args=(--data-dir "$data" --backend-store-uri "postgresql://postgres@127.0.0.1:55499/postgres") ;;
  mlflow) url="${MLFLOW_URL:?set MLFLOW_URL to a running MLflow server}" ;;
  *) echo "usage: $0 sqlite|postgresql|mlflow [scenario ...]" >&2; exit 2 ;;
esac
if [ "$backend" != mlflow ]; then
  "$out/keel/keel" server --port "$port" "${args[@]}" > "$data.log" 2>&1 &
  pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
  # Warm the JIT so the first scenario does not measure tier-0 code.
  "$driver" runs --url "$url" --clients 4 --count 200 --experiment warmup >/dev/null
  "$driver" ingest --url "$url" --clients 4 --count 20 --experiment warmup >/dev/null
fi
echo "backend: $backend  machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
for s in "${scenarios[@]}"; do
  case "$s" in
    ingest) "$driver" ingest --url "$url" --clients 4 --count "${INGEST_BATCHES:-250}" ;;
    runs) "$driver" runs --url "$url" --clients "${RUN_CLIENTS:-8}" --count "${RUNS_PER_CLIENT:-500}" ;;
    seed-search) "$driver" seed-search --url "$url" --clients 8 --runs "${SEARCH_RUNS:-100000}" ;;
    search) "$driver" search --url "$url" --count "${SEARCH_QUERIES:-200}" ;;
    history) "$driver" history --url "$url" --clients 4 --points "${HISTORY_POINTS:-1000000}" ;;
    seed-registry) "$driver" seed-registry --url "$url" --clients 8 --models "${REGISTRY_MODELS:-10000}" ;;
    registry-search) "$driver" registry-search --url "$url" --count "${REGISTRY_QUERIES:-200}" --models "${REGISTRY_MODELS:-10000}" ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
  if [ -n "$pid" ]; then echo "  server RSS: $(awk '/VmRSS/{printf "%.0f MB", $2/1024}' /proc/$pid/status)"; fi
done
