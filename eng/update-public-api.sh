#!/usr/bin/env bash
# Rewrites the public API baselines (src/<package>/PublicAPI.Shipped.txt and PublicAPI.Unshipped.txt) from what the
# build reports, for every package in src/. Microsoft.CodeAnalysis.PublicApiAnalyzers fails the build with
#   RS0016  a public symbol that no baseline lists        -> this script adds it to PublicAPI.Unshipped.txt
#   RS0017  a listed symbol that is gone (or not public)  -> this script deletes it from PublicAPI.Unshipped.txt, or,
#                                                            when PublicAPI.Shipped.txt lists it, records
#                                                            "*REMOVED*<symbol>" in PublicAPI.Unshipped.txt
# Review the diff of the two files before committing: it is the API change.
#
# Usage:
#   eng/update-public-api.sh            update the baselines from a full rebuild of the packages in src/
#   eng/update-public-api.sh --check    report RS0016/RS0017 without touching any file (exit 1 if any)
#   eng/update-public-api.sh --ship     at a release: move every Unshipped entry into Shipped (applying *REMOVED*)
#
# Needs bash, the .NET SDK of global.json, grep, sed, awk and sort. Safe to re-run (after merging branches, say): it
# converges in one pass, and a second run finds nothing to do.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

MODE=update
case "${1:-}" in
  "") ;;
  --check) MODE=check ;;
  --ship) MODE=ship ;;
  -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
esac

HEADER='#nullable enable'
mapfile -t PROJECTS < <(find src -mindepth 2 -maxdepth 2 -name '*.csproj' | sort)

# Sorted, de-duplicated entries of a baseline file (everything but the header and blank lines).
entries() { [[ -f "$1" ]] && grep -v -e "^$HEADER\$" -e '^[[:space:]]*$' "$1" | sort -u || true; }

# Writes the header and the entries read from stdin (sorted, de-duplicated) to $1.
write_baseline() {
  local file=$1 body
  body=$(grep -v -e '^[[:space:]]*$' | sort -u || true)
  { echo "$HEADER"; [[ -n "$body" ]] && printf '%s\n' "$body"; } > "$file.tmp"
  mv "$file.tmp" "$file"
}

for project in "${PROJECTS[@]}"; do
  dir=$(dirname "$project")
  for name in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [[ -f "$dir/$name" ]] || { [[ $MODE == check ]] || echo "$HEADER" > "$dir/$name"; }
  done
done

if [[ $MODE == ship ]]; then
  for project in "${PROJECTS[@]}"; do
    dir=$(dirname "$project")
    shipped=$(entries "$dir/PublicAPI.Shipped.txt")
    unshipped=$(entries "$dir/PublicAPI.Unshipped.txt")
    removed=$(printf '%s\n' "$unshipped" | sed -n 's/^\*REMOVED\*//p')
    added=$(printf '%s\n' "$unshipped" | grep -v '^\*REMOVED\*' || true)
    printf '%s\n%s\n' "$shipped" "$added" | grep -v -x -F -f <(printf '%s\n' "$removed" | grep . || echo '##none##') \
      | write_baseline "$dir/PublicAPI.Shipped.txt"
    : | write_baseline "$dir/PublicAPI.Unshipped.txt"
    echo "$dir: shipped $(entries "$dir/PublicAPI.Shipped.txt" | wc -l) symbols"
  done
  exit 0
fi

# One full rebuild of the packages (a solution filter over Toolkit.sln), with the RS diagnostics left as warnings so
# every one of them is reported, not only the first error of each project.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
{
  printf '{ "solution": { "path": "%s", "projects": [' "$ROOT/Toolkit.sln"
  sep=''
  for project in "${PROJECTS[@]}"; do printf '%s "%s"' "$sep" "${project//\//\\\\}"; sep=','; done
  printf ' ] } }\n'
} > "$WORK/packages.slnf"

echo "==> rebuilding ${PROJECTS[*]}"
set +e
dotnet build "$WORK/packages.slnf" -c Release --nologo --no-incremental -clp:NoSummary \
  -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= > "$WORK/build.log" 2>&1
status=$?
set -e
if [[ $status -ne 0 ]]; then
  grep -E ': error ' "$WORK/build.log" | sort -u >&2 || cat "$WORK/build.log" >&2
  echo "the build failed for another reason than the API baselines; fix that first" >&2
  exit 1
fi

# Lines like: /path/File.cs(12,18): warning RS0016: Symbol '<api line>' is not part of ... [/path/Project.csproj]
grep -E ': warning RS001[67]: ' "$WORK/build.log" | sort -u > "$WORK/rs.log" || true
total=$(wc -l < "$WORK/rs.log")

if [[ $MODE == check ]]; then
  if [[ $total -gt 0 ]]; then
    sed -E 's/ \(https:[^)]*\)//' "$WORK/rs.log" >&2
    echo "$total public API difference(s): run eng/update-public-api.sh" >&2
    exit 1
  fi
  echo "public API baselines match the build"
  exit 0
fi

for project in "${PROJECTS[@]}"; do
  dir=$(dirname "$project")
  csproj="$ROOT/$project"
  shipped_file="$dir/PublicAPI.Shipped.txt"
  unshipped_file="$dir/PublicAPI.Unshipped.txt"
  mine=$(grep -F "[$csproj]" "$WORK/rs.log" || true)
  added=$(printf '%s\n' "$mine" | sed -n -E "s/.*: warning RS0016: Symbol '(.*)' is not part of the declared (public )?API.*/\1/p" | sort -u)
  gone=$(printf '%s\n' "$mine" | sed -n -E "s/.*: warning RS0017: Symbol '(.*)' is part of the declared API, but .*/\1/p" | sort -u)
  [[ -z "$added$gone" ]] && continue

  shipped=$(entries "$shipped_file")
  unshipped=$(entries "$unshipped_file")
  # A gone symbol listed in Shipped becomes *REMOVED*; one listed in Unshipped is simply deleted.
  removed_shipped=$(comm -12 <(printf '%s\n' "$gone" | grep . || true) <(printf '%s\n' "$shipped" | grep . || true) | sed 's/^/*REMOVED*/')
  {
    printf '%s\n' "$unshipped" | grep -v -x -F -f <(printf '%s\n' "$gone" | grep . || echo '##none##') || true
    printf '%s\n' "$added"
    printf '%s\n' "$removed_shipped"
  } | write_baseline "$unshipped_file"
  echo "$dir: +$(printf '%s\n' "$added" | grep -c . || true) added, -$(printf '%s\n' "$gone" | grep -c . || true) removed (PublicAPI.Unshipped.txt)"
done

echo "done: $total difference(s) applied; review 'git diff -- src/*/PublicAPI.*.txt'"
