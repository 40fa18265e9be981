#!/usr/bin/env bash
# Serving benchmark of docs/benchmarks.md (issue 5 §6): wrk -t2 -c32 against, in one run,
#   bare   a bare ASP.NET Core endpoint answering constant JSON (bench/Keel.Benchmarks `bare`; server GC, as
#          `dotnet new web` apps and `./keel server` run),
#   dep    keel server's /deployments/iris/invocations (inference log on, SQLite sink),
#   oip    keel server's /v2/models/iris/infer (same deployment, OIP v2 typed tensor),
#   nolog  the same deployment with the inference log off (sample_rate 0): what the log costs,
#   batch  the same deployment with micro-batching (max_batch_size 32, max_wait_ms 1),
#   serve  keel serve --model models:/iris@champion /invocations (inference log sent to the server),
#   dense, dense-batch  (not in the default list) a model whose call dominates the request (bench
#          `dense-onnx`: 4 -> 4096 -> 4096 -> 3, 64 MiB of weights read on every call; DENSE_HIDDEN), without and with
#          micro-batching (max_batch_size 64 rows, max_wait_ms 2): where joining requests pays,
# with the iris_forest fixture and the 2-row dataframe_split body of the issue.
#   bench/serve-bench.sh [ROUNDS]   (default 2 rounds of 20 s per target, after one 10 s warm-up each)
# Environment: DURATION (default 20s), CONNECTIONS (default 32), TARGETS (default "bare dep oip nolog batch serve"),
# KEEP=1 keeps the data folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-2}"
duration="${DURATION:-20s}"
connections="${CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
data="$(mktemp -d /tmp/keel-serve-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$data"; }
trap cleanup EXIT

fixtures="$(cd "$root/.." && pwd)/shared/fixtures"; [ -d "$fixtures" ] || fixtures="$root/tests/fixtures/shared"
echo "building ..." >&2
"$root/keel" --help >/dev/null
dotnet build "$root/bench/Keel.Benchmarks" -c Release --nologo -v q -tl:off >/dev/null
dll="$root/bench/Keel.Benchmarks/bin/Release/net10.0/Keel.Benchmarks.dll"
wait_for() { for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; exit 1; }

DOTNET_gcServer="${DOTNET_gcServer:-1}" dotnet "$dll" bare 8091 >"$data/bare.log" 2>&1 & pids+=($!)
"$root/keel" server --port 8090 --data-dir "$data/server" >"$data/server.log" 2>&1 & pids+=($!)
wait_for http://127.0.0.1:8090/health
dotnet "$dll" log-onnx http://127.0.0.1:8090 "$fixtures/iris_forest.onnx" iris champion >&2
curl -sf -X POST http://127.0.0.1:8090/api/2.0/keel/deployments/create -H 'Content-Type: application/json' \
  -d '{"name": "iris", "routes": [{"name": "primary", "model_uri": "models:/iris@champion", "weight": 100}], "inference_log": {"sample_rate": 1}}' >/dev/null
curl -sf -X POST http://127.0.0.1:8090/api/2.0/keel/deployments/create -H 'Content-Type: application/json' \
  -d '{"name": "iris-nolog", "routes": [{"name": "primary", "model_uri": "models:/iris@champion", "weight": 100}], "inference_log": {"sample_rate": 0}}' >/dev/null
curl -sf -X POST http://127.0.0.1:8090/api/2.0/keel/deployments/create -H 'Content-Type: application/json' \
  -d '{"name": "iris-batched", "routes": [{"name": "primary", "model_uri": "models:/iris@champion", "weight": 100}], "batching": {"max_batch_size": 32, "max_wait_ms": 1}}' >/dev/null
dotnet "$dll" dense-onnx "$data/dense.onnx" "${DENSE_HIDDEN:-4096}" >&2
dotnet "$dll" log-onnx http://127.0.0.1:8090 "$data/dense.onnx" dense champion >&2
curl -sf -X POST http://127.0.0.1:8090/api/2.0/keel/deployments/create -H 'Content-Type: application/json' \
  -d '{"name": "dense", "routes": [{"name": "primary", "model_uri": "models:/dense@champion", "weight": 100}]}' >/dev/null
curl -sf -X POST http://127.0.0.1:8090/api/2.0/keel/deployments/create -H 'Content-Type: application/json' \
  -d '{"name": "dense-batched", "routes": [{"name": "primary", "model_uri": "models:/dense@champion", "weight": 100}], "batching": {"max_batch_size": 64, "max_wait_ms": 2}}' >/dev/null
"$root/keel" serve --model models:/iris@champion --tracking-uri http://127.0.0.1:8090 --port 8092 --cache-dir "$data/cache" >"$data/serve.log" 2>&1 & pids+=($!)
wait_for http://127.0.0.1:8092/ping

cat >"$data/inv.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"dataframe_split": {"columns": ["sepal_length","sepal_width","petal_length","petal_width"], "data": [[5.1,3.5,1.4,0.2],[6.2,2.9,4.3,1.3]]}}'
LUA
cat >"$data/oip.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [{"name": "input", "shape": [2, 4], "datatype": "FP32", "data": [5.1,3.5,1.4,0.2,6.2,2.9,4.3,1.3]}]}'
LUA
declare -A url=([bare]=http://127.0.0.1:8091/invocations [dep]=http://127.0.0.1:8090/deployments/iris/invocations
  [oip]=http://127.0.0.1:8090/v2/models/iris/infer [batch]=http://127.0.0.1:8090/deployments/iris-batched/invocations
  [nolog]=http://127.0.0.1:8090/deployments/iris-nolog/invocations
  [serve]=http://127.0.0.1:8092/invocations
  [dense]=http://127.0.0.1:8090/deployments/dense/invocations [dense-batch]=http://127.0.0.1:8090/deployments/dense-batched/invocations)
declare -A script=([bare]=inv.lua [dep]=inv.lua [oip]=oip.lua [batch]=inv.lua [nolog]=inv.lua [serve]=inv.lua [dense]=inv.lua [dense-batch]=inv.lua)
targets=(${TARGETS:-bare dep oip nolog batch serve})

run() { # target duration -> "req/s p50 p99 errors"
  local out; out=$(wrk -t2 -c"$connections" -d"$2" --latency -s "$data/${script[$1]}" "${url[$1]}")
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out"); p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  echo "$rps $p50 $p99 ${errors:-none}"
}
for t in "${targets[@]}"; do run "$t" 10s >/dev/null; done   # warm-up: JIT tiering, connection pools
echo "| round | target | req/s | p50 | p99 | vs bare | errors |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for r in $(seq 1 "$rounds"); do
  bare_rps=""
  for t in "${targets[@]}"; do
    read -r rps p50 p99 errors <<<"$(run "$t" "$duration")"
    [ "$t" = bare ] && bare_rps=$rps
    ratio=$(awk -v a="$rps" -v b="$bare_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }')
    echo "| $r | $t | $rps | $p50 | $p99 | $ratio | $errors |"
  done
done
sleep 1
echo
echo "inference log (keel server /metrics):"
curl -sf http://127.0.0.1:8090/metrics | grep -E '^keel_inference_log_(dropped|written|failed)_total' || true
echo "inference log (keel serve /metrics):"
curl -sf http://127.0.0.1:8092/metrics | grep -E '^keel_inference_log_(dropped|written|failed)_total' || true
