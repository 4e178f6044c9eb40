#!/bin/sh
# Builds pion's TURN client examples (turn/v2 examples/turn-client/{udp,tcp}) offline from
# Debian's golang-github-pion-turn.v2-dev sources into <build-dir>/pion/turn-client-{udp,tcp}.
# Cached: rebuilt only when missing or older than the example's sources. Parallel-safe (flock).
# Usage: build-pion-turn.sh <build-dir>
# Exit codes: 0 built or up to date; 77 a Debian package is missing (1 instead when CI is set);
# 1 the build failed.
set -eu
build_dir=${1:?usage: build-pion-turn.sh <build-dir>}
gocode=/usr/share/gocode
turn_src=$gocode/src/github.com/pion/turn/v2
missing() {
    echo "build-pion-turn: $1 (install $2; scripts/deps does)" >&2
    case "${CI:-}" in "" | 0 | false | no) exit 77 ;; *) exit 1 ;; esac
}
command -v go >/dev/null 2>&1 || missing "go not found" golang-go
[ -d "$turn_src/examples/turn-client/udp" ] ||
    missing "$turn_src missing" golang-github-pion-turn.v2-dev
out=$(cd "$build_dir" && pwd)/pion
mkdir -p "$out"
exec 9>"$out/.turn-lock"
flock -w 300 9

# GOPATH mode over the Debian source tree: nothing is downloaded. Debian 12's package ships the
# sources under github.com/pion/turn/v2 already, so GOPATH resolves the /v2 import path as is.
export GO111MODULE=off GOPATH=$gocode GOFLAGS= GOCACHE=$out/.gocache GOTMPDIR=
export CGO_ENABLED=0

for transport in udp tcp; do
    target=$out/turn-client-$transport
    src=$turn_src/examples/turn-client/$transport
    if [ -x "$target" ] && [ -z "$(find "$src" "$turn_src" -maxdepth 1 -name '*.go' \
        -newer "$target" | head -n 1)" ]; then
        continue
    fi
    go build -o "$target.tmp" "github.com/pion/turn/v2/examples/turn-client/$transport"
    mv -f "$target.tmp" "$target"
done
