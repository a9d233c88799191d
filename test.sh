#!/usr/bin/env bash
# Runs the whole suite on a (fresh) Debian/Ubuntu machine:
#   1. installs what is missing: the PostgreSQL server binaries (unless SLUICE_TEST_PG names a
#      server), unzip, clang and zlib1g-dev (for the packaging and NativeAOT smoke test); checks that dotnet exists;
#   2. builds Toolkit.sln in Release;
#   3. runs `dotnet test` for every tests/**/*.csproj, writing TRX files to artifacts/test-results;
#   4. runs the packaging smoke test (nuget/smoke.sh: packed metadata with and without SluiceRepositoryUrl, a consumer
#      build and run, its NativeAOT publish compared with the JIT run), counted as one test;
#   5. prints a summary computed from the TRX files. The last line is always
#      "N passed, N failed, N skipped"; the exit code is non-zero when anything failed or no test ran.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

CONFIGURATION=Release
RESULTS="$ROOT/artifacts/test-results"
HANG_TIMEOUT=${SLUICE_TEST_HANG_TIMEOUT:-15m}

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No MSBuild nodes or compiler servers outliving the script (they would hold CI's output pipe).
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

PASSED=0
FAILED=0
SKIPPED=0
TESTS_EXECUTED=0
NOTES=()
SUMMARY_PRINTED=0

note() { NOTES+=("$*"); }

fail_one() {
  FAILED=$((FAILED + 1))
  note "FAILED: $*"
}

print_summary() {
  [[ $SUMMARY_PRINTED -eq 0 ]] || return 0
  SUMMARY_PRINTED=1
  # Stop build servers quietly so nothing prints after the summary.
  dotnet build-server shutdown >/dev/null 2>&1 || true
  echo
  echo "==================== summary ===================="
  local line
  for line in "${NOTES[@]+"${NOTES[@]}"}"; do
    echo "  $line"
  done
  echo "  results: $RESULTS"
  echo "${PASSED} passed, ${FAILED} failed, ${SKIPPED} skipped"
}

on_exit() {
  local status=$?
  if [[ $SUMMARY_PRINTED -eq 0 ]]; then
    # An unexpected error stopped the script: still end with the summary line.
    fail_one "test.sh stopped unexpectedly (exit code $status)"
    print_summary
    exit 1
  fi
}
trap on_exit EXIT

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "test.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: apt-get not found; install $* by hand" >&2
    return 1
  fi
  if [[ $APT_UPDATED -eq 0 ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# Reads one attribute of the <Counters .../> element of a TRX file (0 when absent).
trx_counter() {
  local value
  value=$(grep -o '<Counters [^>]*>' "$1" | head -n 1 | sed -n "s/.* $2=\"\([0-9]*\)\".*/\1/p" || true)
  echo "${value:-0}"
}

echo "==> prerequisites"
if [[ -z "${SLUICE_TEST_PG:-}" ]] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  echo "PostgreSQL server binaries not found: installing postgresql"
  apt_install postgresql || note "could not install postgresql; PostgreSQL tests will fail"
fi
if ! command -v unzip >/dev/null 2>&1; then
  echo "unzip not found: installing unzip"
  apt_install unzip || note "could not install unzip; the packaging smoke test will fail"
fi
# NativeAOT (the smoke test's PublishAot step) links with clang and zlib.
if ! command -v clang >/dev/null 2>&1 || [[ ! -f /usr/include/zlib.h ]]; then
  echo "clang or zlib headers not found: installing clang zlib1g-dev"
  apt_install clang zlib1g-dev || note "could not install clang/zlib1g-dev; the NativeAOT step of the smoke test will fail"
fi
if ! command -v dotnet >/dev/null 2>&1 && [[ -x "$HOME/.dotnet/dotnet" ]]; then
  export PATH="$HOME/.dotnet:$PATH"
fi
if ! command -v dotnet >/dev/null 2>&1; then
  fail_one "the .NET SDK (dotnet) is not installed; see global.json for the version"
  print_summary
  exit 1
fi
dotnet --version

rm -rf "$RESULTS"
mkdir -p "$RESULTS"

echo "==> dotnet build Toolkit.sln -c $CONFIGURATION"
NO_BUILD=(--no-build)
if ! dotnet build Toolkit.sln -c "$CONFIGURATION" --nologo 2>&1 | tee "$RESULTS/build.log"; then
  fail_one "dotnet build Toolkit.sln (see $RESULTS/build.log)"
  # Let each test project build on its own so the ones that compile still run.
  NO_BUILD=()
fi

mapfile -t TEST_PROJECTS < <(find tests -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' | sort)
if [[ ${#TEST_PROJECTS[@]} -eq 0 ]]; then
  fail_one "no test projects found under tests/"
fi

for project in "${TEST_PROJECTS[@]}"; do
  name=$(basename "$project" .csproj)
  trx="$RESULTS/$name.trx"
  echo "==> dotnet test $project"
  set +e
  dotnet test "$project" -c "$CONFIGURATION" "${NO_BUILD[@]}" --nologo \
    --logger "trx;LogFileName=$name.trx" \
    --results-directory "$RESULTS" \
    --blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none
  status=$?
  set -e

  if [[ ! -f "$trx" ]]; then
    fail_one "$name: no result file (exit code $status; build failure or crashed test host)"
    continue
  fi

  total=$(trx_counter "$trx" total)
  executed=$(trx_counter "$trx" executed)
  passed=$(trx_counter "$trx" passed)
  failed=$(( $(trx_counter "$trx" failed) + $(trx_counter "$trx" error) + $(trx_counter "$trx" timeout) + $(trx_counter "$trx" aborted) ))
  not_executed=$(trx_counter "$trx" notExecuted)
  # vstest leaves skipped tests out of notExecuted (they are total - executed), so take the larger.
  if [[ $((total - executed)) -gt $not_executed ]]; then
    not_executed=$((total - executed))
  fi

  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed))
  SKIPPED=$((SKIPPED + not_executed))
  TESTS_EXECUTED=$((TESTS_EXECUTED + executed))
  note "$name: total $total, executed $executed, passed $passed, failed $failed, not executed $not_executed"

  if [[ $status -ne 0 && $failed -eq 0 ]]; then
    # The run failed without a failed test result: test host crash, hang timeout, abort.
    fail_one "$name: dotnet test exited with code $status but the TRX has no failed test (crash, hang or abort)"
  fi
done

echo "==> packaging smoke test (nuget/smoke.sh)"
smoke_started=$SECONDS
set +e
bash nuget/smoke.sh 2>&1 | tee "$RESULTS/smoke.log"
smoke_status=${PIPESTATUS[0]}
set -e
if [[ $smoke_status -eq 0 ]]; then
  PASSED=$((PASSED + 1))
  note "packaging smoke (incl. NativeAOT): passed in $((SECONDS - smoke_started)) s"
else
  fail_one "packaging smoke test, $((SECONDS - smoke_started)) s (see $RESULTS/smoke.log)"
fi

if [[ $TESTS_EXECUTED -eq 0 ]]; then
  fail_one "no test was executed"
fi

print_summary
if [[ $FAILED -gt 0 ]]; then
  exit 1
fi
exit 0
