#!/bin/sh
# Installs the pinned PeerJS client (package.json + package-lock.json, checked by npm's
# integrity hashes) into this folder's node_modules with `npm ci`, unless it is already there.
# Concurrent callers (ctest -j) wait on a lock instead of installing twice. No network is not a
# reason to skip: a failed install fails the test that needs it.
# Exit codes: 0 installed (or already), 1 npm failed, 77 npm is not installed (outside CI).
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
marker="$dir/node_modules/peerjs/dist/peerjs.min.js"

installed() {
    [ -f "$marker" ] && grep -q '"version": "1.5.5"' "$dir/node_modules/peerjs/package.json"
}

if installed; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found (Debian package npm, or Node.js 20; scripts/deps installs it)" >&2
    case "${CI:-}" in "" | 0 | false | no) exit 77 ;; *) exit 1 ;; esac
fi
# flock(1) on package.json itself: no lock file to leave behind.
exec 9<"$dir/package.json"
flock -w 300 9 || { echo "install.sh: waited 300 s for another npm ci" >&2; exit 1; }
if installed; then
    exit 0
fi
cd "$dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2 || {
    echo "install.sh: npm ci failed in $dir (is the npm registry reachable?)" >&2
    exit 1
}
installed || { echo "install.sh: npm ci did not install peerjs 1.5.5" >&2; exit 1; }
