#!/usr/bin/env bash
# Batch scoring benchmark of docs/benchmarks.md: `keel predict` on iris-like rows, CSV -> Parquet.
#   bench/predict-bench.sh [ROWS ...]        (default: 1000000 10000000)
# Builds the CLI as ./keel does (Release, ReadyToRun) into its own folder, writes the iris_forest
# fixture as an MLflow model folder, generates ROWS rows of iris measurements (each a random iris
# row plus noise of +-0.1, an integer id first) into /tmp, and scores each file three times under
# /usr/bin/time -v, printing keel's summary (rows/s) and the peak resident memory.
# Environment: OUT (build folder, default /tmp/keel-predict-cli), DATA (default /tmp/keel-predict-bench),
# RUNS (runs per size, default 3), FORMAT (the output's: parquet (default), csv or jsonl), KEEP=1 keeps
# the generated files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
out="${OUT:-/tmp/keel-predict-cli}"
data="${DATA:-/tmp/keel-predict-bench}"
runs="${RUNS:-3}"
format="${FORMAT:-parquet}"
mkdir -p "$data"

case "$(uname -m)" in x86_64) rid=linux-x64 ;; aarch64 | arm64) rid=linux-arm64 ;; *) rid="" ;; esac
echo "building keel into $out ..." >&2
dotnet publish "$root/src/Keel.Cli/Keel.Cli.csproj" -c Release ${rid:+-r "$rid" -p:PublishReadyToRun=true} --self-contained false \
  --artifacts-path "$out.build" -o "$out" --nologo -v q -tl:off >/dev/null
if [[ -z "${DOTNET_ROOT:-}" ]]; then DOTNET_ROOT=$(dirname -- "$(readlink -f -- "$(command -v dotnet)")"); export DOTNET_ROOT; fi
# As ./keel runs one-shot commands: without tiered PGO nor unoptimised first compilations (see the launcher).
export DOTNET_TieredPGO="${DOTNET_TieredPGO:-0}"
export DOTNET_TC_QuickJit="${DOTNET_TC_QuickJit:-0}"

# The fixture as an MLflow model folder; without a signature Keel reads the inputs from the graph.
fixtures="$(cd "$root/.." && pwd)/shared/fixtures"; [ -d "$fixtures" ] || fixtures="$root/tests/fixtures/shared"
model="$data/iris_forest"
mkdir -p "$model"
cp "$fixtures/iris_forest.onnx" "$model/model.onnx"
cat >"$model/MLmodel" <<'YAML'
artifact_path: model
flavors:
  onnx:
    data: model.onnx
    providers: [CPUExecutionProvider]
  python_function:
    loader_module: mlflow.onnx
    data: model.onnx
YAML

for rows in "${sizes[@]}"; do
  csv="$data/iris-$rows.csv"
  if [ ! -s "$csv" ]; then
    echo "generating $rows rows into $csv ..." >&2
    awk -F, -v rows="$rows" 'NR > 1 { n++; for (i = 1; i <= 4; i++) v[n, i] = $i }
      END {
        srand(42); print "id,sepal_length,sepal_width,petal_length,petal_width"
        for (r = 0; r < rows; r++) {
          k = int(rand() * n) + 1; line = r
          for (i = 1; i <= 4; i++) { x = v[k, i] + (int(rand() * 3) - 1) / 10; line = line "," sprintf("%.1f", x < 0.1 ? 0.1 : x) }
          print line
        }
      }' "$fixtures/iris.csv" >"$csv"
  fi
  echo "== $rows rows ($(du -h "$csv" | cut -f1) CSV) -> $format, $(nproc) cores" >&2
  for run in $(seq "$runs"); do
    "/usr/bin/time" -v "$out/keel" predict --model "$model" --input "$csv" --output "$data/iris-$rows.$format" --id-column id \
      >"$data/run.out" 2>"$data/run.err" || { cat "$data/run.err" >&2; exit 1; }
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$data/run.err")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$data/run.err")
    echo "run $run: $(cat "$data/run.out") | process wall $wall, peak RSS $rss MiB, load $(cut -d' ' -f1 /proc/loadavg)"
  done
  [ "${KEEP:-}" = 1 ] || rm -f "$data/iris-$rows.$format"
done
[ "${KEEP:-}" = 1 ] || rm -f "$data"/iris-*.csv
