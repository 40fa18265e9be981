#!/usr/bin/env bash
# Dataset versioning benchmark of docs/benchmarks.md (issue 6 §4), in one run on one file:
#   md5sum and sha256sum of a generated CSV (SIZE_MB, default 1024; FILE=path reuses a file),
#   then `keel data add --data-dir` of it into a fresh local data folder (the add in the CLI's own
#   process, chunks written straight into the store's pack files), then `keel data add` into a fresh
#   dataset on a local keel server (every chunk new: the store is emptied by rm + gc before each
#   round), then 1,000 rows appended and the file added again (what is new).
#   bench/data-bench.sh [ROUNDS]   (default 2)
# Reports wall time and MB/s of each command (keel's includes its process start), keel's own
# figure, and the peak resident memory of `keel data add` (GNU time) for this size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-2}"
size_mb="${SIZE_MB:-1024}"
data="$(mktemp -d /tmp/keel-data-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

"$root/keel" --help >/dev/null
port=8095
"$root/keel" server --port $port --data-dir "$data/server" >"$data/server.log" 2>&1 & pids+=($!)
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.2; done
export KEEL_TRACKING_URI="http://127.0.0.1:$port"

file="$data/events.csv"
rows=$(( size_mb * 1024 * 1024 / 33 ))
if [[ -n "${FILE:-}" ]]; then
  cp "$FILE" "$file"
  rows=$(( $(wc -l <"$file") - 1 ))
else
  echo "generating $size_mb MB CSV ($rows rows) ..." >&2
  awk -v n="$rows" 'BEGIN { srand(7); print "id,x,y,count,label"; for (i = 0; i < n; i++) printf "%d,%.6f,%.6f,%d,%s\n", i, rand(), rand() * 100, int(rand() * 1000), (i % 3 ? "a" : "b") }' >"$file"
fi
sync                     # the new file's dirty pages are written out before anything is timed
bytes=$(stat -c %s "$file")
cat "$file" >/dev/null   # in the page cache, as for every command below

timed() { # label command... -> prints "| label | seconds | MB/s |"
  local label="$1"; shift
  local start end
  start=$(date +%s.%N); "$@" >"$data/out.txt" 2>"$data/err.txt"; end=$(date +%s.%N)
  awk -v l="$label" -v s="$start" -v e="$end" -v b="$bytes" 'BEGIN { printf "| %s | %.2f s | %.0f MB/s |\n", l, e - s, b / (e - s) / 1e6 }'
}

echo "file: $bytes bytes"
echo "| command | wall | throughput |"
echo "| --- | --- | --- |"
for r in $(seq 1 "$rounds"); do
  timed "md5sum (round $r)" md5sum "$file"
  timed "sha256sum (round $r)" sha256sum "$file"
  rm -rf "$data/local"; sync
  timed "keel data add --data-dir, all chunks new (round $r)" /usr/bin/time -f "%M" -o "$data/rss.txt" "$root/keel" data add events "$file" --data-dir "$data/local"
  echo "|   keel's own line | $(cat "$data/out.txt") | peak RSS $(( $(cat "$data/rss.txt") / 1024 )) MiB |"
  "$root/keel" data rm "events" >/dev/null 2>&1 || true
  "$root/keel" data gc --grace-seconds 0 >/dev/null
  sync
  timed "keel data add through the server, all chunks new (round $r)" /usr/bin/time -f "%M" -o "$data/rss.txt" "$root/keel" data add events "$file" -m "round $r"
  echo "|   keel's own line | $(cat "$data/out.txt") | peak RSS $(( $(cat "$data/rss.txt") / 1024 )) MiB |"
done

timed "keel data add, same content again" "$root/keel" data add events "$file"
echo "|   keel's own line | $(cat "$data/out.txt") | |"
awk -v n="$rows" 'BEGIN { srand(8); for (i = 0; i < 1000; i++) printf "%d,%.6f,%.6f,%d,%s\n", n + i, rand(), rand() * 100, int(rand() * 1000), "c" }' >>"$file"
"$root/keel" data add events "$file" -m "1,000 rows appended" --json >"$data/append.json"
python3 - "$data/append.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
size = r["version"]["size_bytes"]
print(f"after appending 1,000 rows: {r['chunks_uploaded']} of {r['chunks']} chunks new, {r['bytes_uploaded']:,} of {size:,} bytes = {100 * r['bytes_uploaded'] / size:.3f} %")
PY
