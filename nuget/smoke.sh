#!/usr/bin/env bash
# Packaging smoke test: packs Sluice, Sluice.Sqlite and Sluice.Npgsql (Release) into a temp
# folder feed, checks the generator ships inside the Sluice package (analyzers/dotnet/cs), then
# builds and runs a throw-away console app (nuget/smoke/) that consumes Sluice + Sluice.Sqlite
# from that feed with its own empty package cache, so no stale package can be used.
#
# Prints "SMOKE PASS: ..." or "SMOKE FAIL: ..." as its last line; exit code 0 / 1.
# SLUICE_SMOKE_KEEP=1 keeps the temp folder for inspection.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-smoke.XXXXXX")
FEED="$WORK/feed"
CONSUMER="$WORK/consumer"
mkdir -p "$FEED" "$CONSUMER"

cleanup() {
  if [[ "${SLUICE_SMOKE_KEEP:-0}" == "1" ]]; then
    echo "smoke: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

fail() {
  echo "SMOKE FAIL: $*"
  exit 1
}

step() { echo "smoke: $*"; }

# Lists the entries of a .nupkg (a zip).
list_zip() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -Z1 "$1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
  else
    fail "neither unzip nor python3 is available to inspect $1 (apt-get install unzip)"
  fi
}

read_zip_entry() {
  if command -v unzip >/dev/null 2>&1; then
    unzip -p "$1" "$2"
  else
    python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$1" "$2"
  fi
}

command -v dotnet >/dev/null 2>&1 || fail "dotnet is not on PATH"

VERSION=$(dotnet msbuild src/Sluice/Sluice.csproj -getProperty:Version 2>/dev/null | tr -d '[:space:]') || true
[[ -n "$VERSION" ]] || fail "could not read the package version from src/Sluice/Sluice.csproj"
step "version $VERSION, work folder $WORK"

# 1. Pack. The Sluice package picks the generator up from generators/Sluice.Generators/bin/Release/netstandard2.0.
for project in Sluice Sluice.Sqlite Sluice.Npgsql; do
  step "dotnet pack src/$project"
  if ! dotnet pack "src/$project/$project.csproj" -c Release -o "$FEED" --nologo; then
    fail "dotnet pack src/$project failed"
  fi
  [[ -f "$FEED/$project.$VERSION.nupkg" ]] || fail "dotnet pack did not produce $project.$VERSION.nupkg (found: $(ls "$FEED"))"
done

# 2. Inspect the packages.
SLUICE_NUPKG="$FEED/Sluice.$VERSION.nupkg"
# Listings go through variables: `list | grep -q` would trip pipefail when grep stops reading early.
SLUICE_FILES=$(list_zip "$SLUICE_NUPKG")
step "contents of Sluice.$VERSION.nupkg:"
sed 's/^/  /' <<<"$SLUICE_FILES"
grep -qx 'analyzers/dotnet/cs/Sluice.Generators.dll' <<<"$SLUICE_FILES" \
  || fail "Sluice.$VERSION.nupkg does not contain analyzers/dotnet/cs/Sluice.Generators.dll"
grep -qx 'lib/net10.0/Sluice.dll' <<<"$SLUICE_FILES" \
  || fail "Sluice.$VERSION.nupkg does not contain lib/net10.0/Sluice.dll"
if grep -q '^lib/.*Sluice\.Generators\.dll$' <<<"$SLUICE_FILES"; then
  fail "Sluice.$VERSION.nupkg ships the generator as a runtime library (lib/)"
fi
for provider in Sluice.Sqlite Sluice.Npgsql; do
  nupkg="$FEED/$provider.$VERSION.nupkg"
  files=$(list_zip "$nupkg")
  nuspec=$(read_zip_entry "$nupkg" "$provider.nuspec")
  grep -qx "lib/net10.0/$provider.dll" <<<"$files" || fail "$provider.$VERSION.nupkg does not contain lib/net10.0/$provider.dll"
  grep -q "<dependency id=\"Sluice\" version=\"$VERSION\"" <<<"$nuspec" \
    || fail "$provider.$VERSION.nupkg does not depend on Sluice $VERSION"
done
step "packages look right"

# 3. A consumer project outside the repository, restoring from the local feed first.
cp nuget/smoke/Program.cs "$CONSUMER/Program.cs"
sed "s/@SLUICE_VERSION@/$VERSION/g" nuget/smoke/Smoke.csproj.template > "$CONSUMER/Smoke.csproj"
cp global.json "$CONSUMER/global.json"
# Stop MSBuild from importing anything from folders above the consumer.
echo '<Project />' > "$CONSUMER/Directory.Build.props"
echo '<Project />' > "$CONSUMER/Directory.Build.targets"
echo '<Project />' > "$CONSUMER/Directory.Packages.props"
cat > "$CONSUMER/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <!-- Added to the machine's default sources (which serve Microsoft.Data.Sqlite and friends). -->
    <add key="sluice-local" value="$FEED" />
  </packageSources>
</configuration>
EOF

# A fresh global packages folder: never resolve Sluice from a cache filled by an earlier run.
export NUGET_PACKAGES="$WORK/packages"

step "dotnet restore (NUGET_PACKAGES=$NUGET_PACKAGES)"
dotnet restore "$CONSUMER/Smoke.csproj" --nologo || fail "restore of the consumer project failed"
for package in sluice sluice.sqlite; do
  [[ -f "$NUGET_PACKAGES/$package/$VERSION/$package.$VERSION.nupkg" ]] \
    || fail "restore did not take $package $VERSION from the local feed"
done

step "dotnet build consumer"
dotnet build "$CONSUMER/Smoke.csproj" -c Release --no-restore --nologo \
  || fail "the consumer project does not compile against the packages (see the errors above)"

step "run consumer"
set +e
mkdir -p "$WORK/tmp"
# The program puts its database in the temp folder: keep it inside $WORK so cleanup removes it.
OUTPUT=$(cd "$CONSUMER" && TMPDIR="$WORK/tmp" timeout 120 dotnet run --no-build -c Release --project Smoke.csproj 2>&1)
STATUS=$?
set -e
printf '%s\n' "$OUTPUT" | sed 's/^/  | /'
[[ $STATUS -eq 0 ]] || fail "the consumer program exited with code $STATUS"
grep -q '^smoke ok: ' <<<"$OUTPUT" || fail "the consumer program did not print 'smoke ok:'"

echo "SMOKE PASS: packed Sluice, Sluice.Sqlite, Sluice.Npgsql $VERSION; the generator ran in a consumer build and the worker round-trip worked"
