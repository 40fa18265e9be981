#!/usr/bin/env bash
# Start the reference MLflow 2.9.x tracking server (real code, from /work/ref/mlflow-src) in the
# background on 127.0.0.1:${PORT:-5055}, wait for /health, print the PID.
#   FRESH=1 ./start-mlflow.sh   -> wipe the sqlite DB and artifacts first
#   ./start-mlflow.sh stop      -> stop the server started by this script
set -euo pipefail
REF=/work/ref
PORT=${PORT:-5055}
PIDFILE=$REF/mlflow-$PORT.pid
LOG=$REF/mlflow-server-$PORT.log
export PYTHONPATH=$REF/stubs:$REF/mlflow-src
export GIT_PYTHON_REFRESH=quiet

stop() {
  if [[ -f $PIDFILE ]]; then
    pid=$(cat "$PIDFILE")
    # kill the process group (mlflow CLI + gunicorn master + workers) that we started with setsid
    kill -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    echo "stopped $pid"
  fi
}
if [[ ${1:-} == stop ]]; then stop; exit 0; fi

if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
  echo "already running on $PORT"; exit 0
fi
if [[ ${FRESH:-0} == 1 ]]; then rm -rf "$REF/mlflow.db" "$REF/mlartifacts"; fi
mkdir -p "$REF/mlartifacts"
cd "$REF"
setsid /usr/bin/python3 -m mlflow server \
  --host 127.0.0.1 --port "$PORT" \
  --backend-store-uri "sqlite:///$REF/mlflow.db" \
  --artifacts-destination "$REF/mlartifacts" \
  --workers ${WORKERS:-2} >"$LOG" 2>&1 < /dev/null &
echo $! > "$PIDFILE"
for i in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
    echo "MLflow $(/usr/bin/python3 -c 'import mlflow;print(mlflow.__version__)') up on http://127.0.0.1:$PORT (pid $(cat $PIDFILE), log $LOG)"
    exit 0
  fi
  if ! kill -0 "$(cat $PIDFILE)" 2>/dev/null; then echo "server died; see $LOG"; tail -30 "$LOG"; exit 1; fi
  sleep 1
done
echo "timeout waiting for /health; see $LOG"; exit 1
