#!/usr/bin/env bash
# Packaging smoke test. Packs Sluice, Sluice.Sqlite, Sluice.Npgsql and Sluice.OpenTelemetry (nuget/Packages.slnf, Release) into a temp
# folder feed and:
#   1. checks the packed files: one shared version; per package the readme (README.md, referenced by the nuspec), the
#      license expression, tags, a description of its own, a .snupkg whose PDB belongs to the DLL, a deterministic
#      (reproducible) DLL; the generator in analyzers/dotnet/cs (not lib/); the user guide, every diagnostics page and
#      CHANGELOG.md in the Sluice package; and, since SluiceRepositoryUrl is not set, no repository in the nuspecs, no
#      SourceLink in the PDBs and no address stamped into the generator;
#   2. packs again as a release is packed, with an address: -p:SluiceRepositoryUrl=https://github.com/example-org/sluice,
#      ContinuousIntegrationBuild=true, a fresh output folder (artifacts/smoke-builds/, nothing reused from bin/ or obj/),
#      checks the same per package plus /_/ source paths, <repository type="git" url commit> in the nuspecs, SourceLink
#      to that address at that commit in the PDBs, and the address and commit the generator's help links are built from;
#   3. builds a throw-away console app (nuget/smoke/) from the first feed with its own empty package cache (so no stale
#      package can be used), runs it, and checks the generated code's [GeneratedCode] version; the app runs a worker, a
#      DataLoader, a [WireErrors] union through a JSON context, and mapped values (a typed id, a converter that also
#      rejects a value, an enum by name, a JSON column through a source-generated JsonTypeInfo);
#   4. publishes the same app with PublishAot=true, requires zero IL2xxx/IL3xxx (trim/AOT) warnings, runs the native
#      binary and compares its output with the JIT run's.
#
# Prints "SMOKE PASS: ..." or "SMOKE FAIL: ..." as its last line; exit code 0 / 1.
# SLUICE_SMOKE_KEEP=1 keeps the temp folder for inspection; SLUICE_SMOKE_AOT=0 skips step 4.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-smoke.XXXXXX")
FEED="$WORK/feed"
FEED_URL="$WORK/feed-with-url"
CONSUMER="$WORK/consumer"
INSPECT="$WORK/inspect"
mkdir -p "$FEED" "$FEED_URL" "$CONSUMER" "$INSPECT"
EXAMPLE_URL=https://github.com/example-org/sluice
PACKAGES=(Sluice Sluice.Sqlite Sluice.Npgsql Sluice.OpenTelemetry)
STARTED=$SECONDS

cleanup() {
  if [[ "${SLUICE_SMOKE_KEEP:-0}" == "1" ]]; then
    echo "smoke: kept $WORK and $BUILDS"
  else
    rm -rf "$WORK" "$BUILDS"
  fi
}
trap cleanup EXIT
# The release pack builds into a folder of its own under artifacts/ (inside the repository, so PDB paths map to /_/).
BUILDS="$ROOT/artifacts/smoke-builds"
rm -rf "$BUILDS"

fail() {
  echo "SMOKE FAIL: $*"
  exit 1
}

step() { echo "smoke: [$((SECONDS - STARTED)) s] $*"; }

# Unpacks a .nupkg/.snupkg (a zip) into a folder.
extract_zip() {
  mkdir -p "$2"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$1" -d "$2" || fail "could not unpack $1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2" || fail "could not unpack $1"
  else
    fail "neither unzip nor python3 is available to inspect $1 (apt-get install unzip)"
  fi
}

# Writes empty MSBuild files so a project in $1 imports nothing from the folders above it.
isolate() {
  echo '<Project />' > "$1/Directory.Build.props"
  echo '<Project />' > "$1/Directory.Build.targets"
  echo '<Project />' > "$1/Directory.Packages.props"
  cp global.json "$1/global.json"
}

command -v dotnet >/dev/null 2>&1 || fail "dotnet is not on PATH"

VERSION=$(dotnet msbuild src/Sluice/Sluice.csproj -getProperty:Version 2>/dev/null | tr -d '[:space:]') || true
[[ -n "$VERSION" ]] || fail "could not read the package version from src/Sluice/Sluice.csproj"
for project in Sluice.Sqlite Sluice.Npgsql Sluice.OpenTelemetry; do
  other=$(dotnet msbuild "src/$project/$project.csproj" -getProperty:Version 2>/dev/null | tr -d '[:space:]') || true
  [[ "$other" == "$VERSION" ]] || fail "$project has version '$other', Sluice has '$VERSION': the packages must share one version"
done
grep -q "^## \[$VERSION\]" CHANGELOG.md || fail "CHANGELOG.md has no '## [$VERSION]' section"
COMMIT=$(git rev-parse HEAD 2>/dev/null || true)
step "version $VERSION, commit ${COMMIT:-unknown}, work folder $WORK"

# The assembly/PDB reader (System.Reflection.Metadata), run as a file-based app outside the repository.
cp nuget/inspect/inspect.cs "$INSPECT/inspect.cs"
isolate "$INSPECT"
# Call as X=$(inspect ...) || fail ...: a failure inside $(...) cannot end the script by itself.
inspect() { (cd "$INSPECT" && dotnet run inspect.cs -- "$@"); }

# Packs the three packages (nuget/Packages.slnf: one build of the four projects) into $1; more properties follow.
pack_all() {
  local feed=$1 project
  shift
  step "dotnet pack nuget/Packages.slnf $*"
  dotnet pack nuget/Packages.slnf -c Release --nologo -p:PackageOutputPath="$feed" "$@" \
    || fail "dotnet pack nuget/Packages.slnf $* failed"
  for project in "${PACKAGES[@]}"; do
    [[ -f "$feed/$project.$VERSION.nupkg" ]] || fail "dotnet pack did not produce $project.$VERSION.nupkg (found: $(ls "$feed"))"
    [[ -f "$feed/$project.$VERSION.snupkg" ]] || fail "dotnet pack did not produce the symbol package $project.$VERSION.snupkg"
  done
}

# Checks what every package must carry whatever the repository property; leaves the nuspec in $NUSPEC.
check_package() {
  local feed=$1 package=$2 dir="$WORK/unpacked/$(basename "$1")/$2"
  extract_zip "$feed/$package.$VERSION.nupkg" "$dir/nupkg"
  extract_zip "$feed/$package.$VERSION.snupkg" "$dir/snupkg"
  NUSPEC=$(cat "$dir/nupkg/$package.nuspec")
  grep -q "<version>$VERSION</version>" <<<"$NUSPEC" || fail "$package.nuspec does not have version $VERSION"
  grep -q '<readme>README.md</readme>' <<<"$NUSPEC" || fail "$package.nuspec does not reference README.md as its readme"
  cmp -s "$dir/nupkg/README.md" README.md || fail "$package.$VERSION.nupkg does not carry the repository's README.md"
  grep -q '<license type="expression">MIT</license>' <<<"$NUSPEC" || fail "$package.nuspec has no MIT license expression"
  grep -Eq '<tags>[^<]*sqlite[^<]*</tags>' <<<"$NUSPEC" || fail "$package.nuspec has no tags"
  local description
  description=$(sed -n 's:.*<description>\(.*\)</description>.*:\1:p' <<<"$NUSPEC")
  [[ -n "$description" && "$description" != "Package Description" ]] || fail "$package.nuspec has no description of its own"
  DESCRIPTIONS+=("$description")
  [[ -f "$dir/nupkg/lib/net10.0/$package.dll" ]] || fail "$package.$VERSION.nupkg does not contain lib/net10.0/$package.dll"
  [[ -f "$dir/snupkg/lib/net10.0/$package.pdb" ]] || fail "$package.$VERSION.snupkg does not contain lib/net10.0/$package.pdb"

  ASSEMBLY=$(inspect assembly "$dir/nupkg/lib/net10.0/$package.dll") || fail "could not read $package.dll: $ASSEMBLY"
  PDB=$(inspect pdb "$dir/snupkg/lib/net10.0/$package.pdb") || fail "could not read $package.pdb: $PDB"
  grep -qx 'reproducible: yes' <<<"$ASSEMBLY" || fail "$package.dll was not built deterministically (no Reproducible debug entry)"
  [[ "$(grep '^pdb-id' <<<"$ASSEMBLY")" == "$(grep '^pdb-id' <<<"$PDB")" ]] || fail "the PDB in $package.$VERSION.snupkg does not belong to its DLL"
}

DESCRIPTIONS=()

# 1. The packages as this repository packs them today (SluiceRepositoryUrl not set). Right after test.sh's
#    solution build this reuses its Release outputs.
pack_all "$FEED"
for package in "${PACKAGES[@]}"; do
  check_package "$FEED" "$package"
  ! grep -q '<repository' <<<"$NUSPEC" || fail "$package.nuspec names a repository although SluiceRepositoryUrl is not set: $(grep '<repository' <<<"$NUSPEC")"
  ! grep -q '<projectUrl' <<<"$NUSPEC" || fail "$package.nuspec has a project URL although SluiceRepositoryUrl is not set"
  grep -qx 'sourcelink: none' <<<"$PDB" || fail "$package.pdb has SourceLink although SluiceRepositoryUrl is not set: $(grep '^sourcelink' <<<"$PDB")"
  if [[ "$package" != "Sluice" ]]; then
    grep -q "<dependency id=\"Sluice\" version=\"$VERSION\"" <<<"$NUSPEC" || fail "$package.$VERSION.nupkg does not depend on Sluice $VERSION"
  fi
done
[[ $(printf '%s\n' "${DESCRIPTIONS[@]}" | sort -u | wc -l) -eq ${#PACKAGES[@]} ]] || fail "two packages share one description"

SLUICE="$WORK/unpacked/feed/Sluice/nupkg"
[[ -f "$SLUICE/analyzers/dotnet/cs/Sluice.Generators.dll" ]] || fail "Sluice.$VERSION.nupkg does not contain analyzers/dotnet/cs/Sluice.Generators.dll"
if [[ -n $(find "$SLUICE/lib" -name 'Sluice.Generators.dll') ]]; then
  fail "Sluice.$VERSION.nupkg ships the generator as a runtime library (lib/)"
fi
cmp -s "$SLUICE/CHANGELOG.md" CHANGELOG.md || fail "Sluice.$VERSION.nupkg does not carry CHANGELOG.md"
for page in docs/*.md docs/diagnostics/*.md; do
  cmp -s "$SLUICE/$page" "$page" || fail "Sluice.$VERSION.nupkg does not carry $page"
done
GENERATOR=$(inspect assembly "$SLUICE/analyzers/dotnet/cs/Sluice.Generators.dll") || fail "could not read Sluice.Generators.dll: $GENERATOR"
grep -qx 'reproducible: yes' <<<"$GENERATOR" || fail "Sluice.Generators.dll was not built deterministically"
grep -qx 'metadata SluiceRepositoryUrl: ' <<<"$GENERATOR" || fail "the packed generator has a repository address although SluiceRepositoryUrl is not set"
step "packages look right: readme, license, tags, descriptions, symbols, deterministic, generator, $(ls docs/*.md docs/diagnostics/*.md | wc -l) docs pages, changelog; no repository named"

# 2. A release pack with the repository property set: the address and the commit reach every place that names them.
pack_all "$FEED_URL" -p:SluiceRepositoryUrl=$EXAMPLE_URL \
  -p:ContinuousIntegrationBuild=true -p:UseArtifactsOutput=true -p:ArtifactsPath="$BUILDS/with-url"
DESCRIPTIONS=()
for package in "${PACKAGES[@]}"; do
  check_package "$FEED_URL" "$package"
  grep -q '^pdb-path: /_/' <<<"$ASSEMBLY" || fail "$package.dll names a machine path for its PDB ($(grep '^pdb-path' <<<"$ASSEMBLY")); expected /_/ (ContinuousIntegrationBuild)"
  grep -q '^document: /_/' <<<"$PDB" || fail "$package.pdb names machine paths for its sources ($(grep '^document' <<<"$PDB")); expected /_/ (ContinuousIntegrationBuild)"
  repository=$(grep -o '<repository [^>]*>' <<<"$NUSPEC" || true)
  grep -q 'type="git"' <<<"$repository" && grep -q "url=\"$EXAMPLE_URL\"" <<<"$repository" \
    || fail "$package.nuspec does not name the repository $EXAMPLE_URL: '$repository'"
  if [[ -n "$COMMIT" ]]; then
    grep -q "commit=\"$COMMIT\"" <<<"$repository" || fail "$package.nuspec does not name commit $COMMIT: '$repository'"
    grep -q "^sourcelink: .*\"https://raw.githubusercontent.com/example-org/sluice/$COMMIT/\*\"" <<<"$PDB" \
      || fail "$package.pdb has no SourceLink to $EXAMPLE_URL at $COMMIT: $(grep '^sourcelink' <<<"$PDB")"
  fi
done
GENERATOR=$(inspect assembly "$WORK/unpacked/feed-with-url/Sluice/nupkg/analyzers/dotnet/cs/Sluice.Generators.dll") || fail "could not read Sluice.Generators.dll: $GENERATOR"
grep -qx "metadata SluiceRepositoryUrl: $EXAMPLE_URL" <<<"$GENERATOR" || fail "the generator packed with SluiceRepositoryUrl does not carry it"
if [[ -n "$COMMIT" ]]; then
  grep -qx "metadata SluiceRepositoryCommit: $COMMIT" <<<"$GENERATOR" || fail "the generator packed with SluiceRepositoryUrl does not carry commit $COMMIT"
fi
step "release pack with SluiceRepositoryUrl=$EXAMPLE_URL: /_/ paths, <repository url commit> in every nuspec, SourceLink in every PDB, the address and commit in the generator (help links $EXAMPLE_URL/blob/${COMMIT:-main}/docs/diagnostics/SLxxxx.md)"

# 3. A consumer project outside the repository, restoring from the first feed first.
cp nuget/smoke/Program.cs "$CONSUMER/Program.cs"
sed "s/@SLUICE_VERSION@/$VERSION/g" nuget/smoke/Smoke.csproj.template > "$CONSUMER/Smoke.csproj"
isolate "$CONSUMER"
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
cmp -s "$NUGET_PACKAGES/sluice/$VERSION/sluice.$VERSION.nupkg" "$FEED/Sluice.$VERSION.nupkg" \
  || fail "the restored Sluice package is not the one packed in step 1"

step "dotnet build consumer"
dotnet build "$CONSUMER/Smoke.csproj" -c Release --no-restore --nologo \
  || fail "the consumer project does not compile against the packages (see the errors above)"
generated=$(find "$CONSUMER/obj/generated" -path '*/Sluice.Generators/*' -name '*.g.cs' -print -quit)
[[ -n "$generated" ]] || fail "the generator wrote no source into the consumer (obj/generated)"
grep -q "GeneratedCode(\"Sluice.Generators\", \"$VERSION.0\")" "$generated" \
  || fail "generated code does not carry [GeneratedCode(\"Sluice.Generators\", \"$VERSION.0\")]: $(grep -o 'GeneratedCode([^)]*)' "$generated" | head -n 1)"

run_consumer() {
  # The program puts its database in the temp folder: keep it inside $WORK so cleanup removes it.
  mkdir -p "$WORK/tmp"
  set +e
  OUTPUT=$(cd "$CONSUMER" && TMPDIR="$WORK/tmp" timeout 120 "$@" 2>&1)
  STATUS=$?
  set -e
  printf '%s\n' "$OUTPUT" | sed 's/^/  | /'
}

step "run consumer (JIT)"
run_consumer dotnet run --no-build -c Release --project Smoke.csproj
[[ $STATUS -eq 0 ]] || fail "the consumer program exited with code $STATUS"
grep -q '^smoke ok: ' <<<"$OUTPUT" || fail "the consumer program did not print 'smoke ok:'"
JIT_OUTPUT=$OUTPUT

# 4. NativeAOT: the same consumer published ahead of time from the same packages.
AOT_SUMMARY="NativeAOT skipped (SLUICE_SMOKE_AOT=0)"
if [[ "${SLUICE_SMOKE_AOT:-1}" != "0" ]]; then
  RID=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)
  [[ -n "$RID" ]] || fail "could not read the runtime identifier from dotnet --info"
  step "dotnet publish consumer -r $RID -p:PublishAot=true"
  aot_started=$SECONDS
  set +e
  # TrimmerSingleWarn=false: one warning per call site, not one per assembly, so none hides in a summary.
  PUBLISH_LOG=$(dotnet publish "$CONSUMER/Smoke.csproj" -c Release -r "$RID" -o "$WORK/aot" --nologo \
    -p:PublishAot=true -p:TrimmerSingleWarn=false 2>&1)
  publish_status=$?
  set -e
  printf '%s\n' "$PUBLISH_LOG" | sed 's/^/  | /'
  [[ $publish_status -eq 0 ]] || fail "dotnet publish -p:PublishAot=true failed (exit code $publish_status)"
  trim_warnings=$(grep -Eo '(warning|error) IL[23][0-9]{3}[^[]*' <<<"$PUBLISH_LOG" | sort -u || true)
  [[ -z "$trim_warnings" ]] || fail "the NativeAOT publish reported trim/AOT warnings: $trim_warnings"
  [[ -x "$WORK/aot/Smoke" ]] || fail "dotnet publish -p:PublishAot=true produced no native executable $WORK/aot/Smoke"
  step "run consumer (NativeAOT, published in $((SECONDS - aot_started)) s)"
  run_consumer "$WORK/aot/Smoke"
  [[ $STATUS -eq 0 ]] || fail "the NativeAOT consumer exited with code $STATUS"
  [[ "$OUTPUT" == "$JIT_OUTPUT" ]] || fail "the NativeAOT consumer printed something else than the JIT run: '$OUTPUT' vs '$JIT_OUTPUT'"
  AOT_SUMMARY="the NativeAOT build printed the same, with no IL2xxx/IL3xxx warning"
fi

step "done"
echo "SMOKE PASS: packed Sluice, Sluice.Sqlite, Sluice.Npgsql, Sluice.OpenTelemetry $VERSION (metadata, symbols, docs checked; with and without SluiceRepositoryUrl); the generator ran in a consumer build, the worker round-trip and the mapped values (typed id, converter, enum by name, JSON column) and nested rows worked, $AOT_SUMMARY ($((SECONDS - STARTED)) s)"
