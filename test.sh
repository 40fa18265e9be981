#!/usr/bin/env bash
# Runs everything CI runs: installs missing test prerequisites, checks formatting, builds the
# solution in Release, runs every test project and ends with one line `N passed, N failed`
# (`, N skipped` when any were skipped). Exit code 0 only when all of that succeeded.
#
# Idempotent and non-interactive (CI runs it on a clean clone as `bash .ci/run` with no stdin).
set -euo pipefail

root=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The summary lines counted below are English only.
export DOTNET_CLI_UI_LANGUAGE=en VSLANG=1033
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*" >&2; }

# The last line is the contract; everything else goes before it.
summary_and_exit() { # passed failed skipped exit-code
    local line="$1 passed, $2 failed"
    if (($3 > 0)); then line+=", $3 skipped"; fi
    echo "$line"
    exit "$4"
}

# --- prerequisites ------------------------------------------------------------------------------

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo -n); fi

# The PostgreSQL fixture (tests/Keel.Testing/PostgresServer.cs) looks on PATH, then here.
have_postgres() {
    command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

apt_packages=()
have_postgres || apt_packages+=(postgresql)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
# The Prometheus scrape test (tests/Keel.Server.Tests/Monitoring/PrometheusScrapeTests.cs).
command -v prometheus >/dev/null 2>&1 || apt_packages+=(prometheus)
# The web UI tests (tests/Keel.Ui.Tests) drive Debian's Chromium through Playwright; no browser download.
[[ -x /usr/bin/chromium ]] || apt_packages+=(chromium)

if ((${#apt_packages[@]} > 0)); then
    say "installing ${apt_packages[*]} (apt-get)"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" </dev/null >/dev/null
fi

# npm client test: the committed lock pins mlflow@2.0.7; reinstall when the lock changed.
node_dir=tests/node-client
if [[ ! -d $node_dir/node_modules/mlflow || $node_dir/package-lock.json -nt $node_dir/node_modules/.package-lock.json ]]; then
    say "installing npm modules in $node_dir (npm ci)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null >&2)
fi

# --- format, build ------------------------------------------------------------------------------

say "dotnet restore"
if ! dotnet restore Keel.slnx --nologo -v q >&2; then
    echo "restore failed" >&2
    summary_and_exit 0 0 0 1
fi

say "dotnet format --verify-no-changes"
if ! dotnet format Keel.slnx --verify-no-changes --no-restore >&2; then
    echo "formatting drift: run 'dotnet format Keel.slnx' and commit the result" >&2
    summary_and_exit 0 0 0 1
fi

say "dotnet build -c Release"
if ! dotnet build Keel.slnx -c Release --no-restore --nologo -v q >&2; then
    echo "build failed" >&2
    summary_and_exit 0 0 0 1
fi

# --- tests --------------------------------------------------------------------------------------

# Every project of the solution named tests/.../*.Tests.csproj, one `dotnet test` each: the
# solution also holds Keel.Testing, a library that the xunit package marks IsTestProject, and
# `dotnet test Keel.slnx` would try to run it. Counted from VSTest's summary line per assembly,
#   Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: 1 s - X.dll (net10.0)
# with one trx file per project kept in artifacts/test-results for reading.
results=$root/artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
log=$results/dotnet-test.log

mapfile -t test_projects < <(grep -oE 'Path="tests/[^"]*\.Tests\.csproj"' Keel.slnx | sed -E 's/^Path="(.*)"$/\1/')
test_rc=0
for project in "${test_projects[@]}"; do
    name=$(basename "$project" .csproj)
    say "dotnet test $name"
    dotnet test "$project" -c Release --no-build --nologo -tl:off \
        --results-directory "$results" --logger "trx;LogFileName=$name.trx" \
        --blame-hang-timeout 15m --blame-hang-dump-type none \
        </dev/null 2>&1 | tee -a "$log" >&2 || test_rc=$?
done

passed=0 failed=0 skipped=0 assemblies=0
while IFS=' ' read -r f p s; do
    assemblies=$((assemblies + 1))
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done < <(sed -n -E 's/^[[:space:]]*(Passed|Failed)![[:space:]]+-[[:space:]]+Failed:[[:space:]]*([0-9]+),[[:space:]]*Passed:[[:space:]]*([0-9]+),[[:space:]]*Skipped:[[:space:]]*([0-9]+),.*/\2 \3 \4/p' "$log")

if ((test_rc != 0 && failed == 0)); then
    # A crashed or hung test host can leave no failed test behind; the run still failed.
    echo "dotnet test exited with $test_rc and no failed test was recorded (test host crash or hang?)" >&2
    failed=1
fi
if ((assemblies == 0)); then
    echo "no test summary found in ${log#"$root/"} (test projects: ${test_projects[*]:-none in Keel.slnx})" >&2
    summary_and_exit 0 "$((failed > 0 ? failed : 1))" 0 1
fi

if ((failed > 0)); then
    summary_and_exit "$passed" "$failed" "$skipped" 1
fi
summary_and_exit "$passed" "$failed" "$skipped" 0
