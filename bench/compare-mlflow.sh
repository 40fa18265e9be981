#!/usr/bin/env bash
# Same driver, same small scenarios, against MLflow's own server and a fresh Keel, back to back.
#   MLFLOW_URL=http://127.0.0.1:5055 bench/compare-mlflow.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INGEST_BATCHES=20 RUN_CLIENTS=4 RUNS_PER_CLIENT=50 SEARCH_RUNS=200 SEARCH_QUERIES=50 HISTORY_POINTS=4000
tag="cmp$(date +%s)"
for target in mlflow sqlite; do
  echo "== $target"
  if [ "$target" = mlflow ]; then
    "$root/bench/run-load.sh" mlflow ingest runs history 2>&1
    # search needs its corpus under this run's experiment name
    "$root/artifacts/bench/driver/Keel.LoadDriver" seed-search --url "$MLFLOW_URL" --clients 4 --runs 200 --experiment "$tag"
    "$root/artifacts/bench/driver/Keel.LoadDriver" search --url "$MLFLOW_URL" --count 50 --experiment "$tag"
  else
    "$root/bench/run-load.sh" sqlite ingest runs history seed-search search 2>&1
  fi
done
