#!/bin/sh
# Builds pion's STUN tools offline from Debian's golang-github-pion-stun-dev sources, plus our
# small pion-based client (stun-conn-client), into <build-dir>/pion/. Cached: a binary is rebuilt
# only when missing or older than its sources. Safe to run from parallel tests (flock).
# Usage: build-pion-stun.sh <build-dir>
set -eu
build_dir=${1:?usage: build-pion-stun.sh <build-dir>}
gopath=/usr/share/gocode
pion_src=$gopath/src/github.com/pion/stun
here=$(cd "$(dirname "$0")" && pwd)
out=$build_dir/pion
if ! command -v go >/dev/null 2>&1; then
    echo "build-pion-stun: go not found (install golang-go)" >&2
    exit 3
fi
if [ ! -d "$pion_src/cmd/stun-client" ]; then
    echo "build-pion-stun: $pion_src missing (install golang-github-pion-stun-dev)" >&2
    exit 3
fi
mkdir -p "$out"
exec 9>"$out/.lock"
flock -w 300 9

# GOPATH mode: the Debian sources are a GOPATH tree; no module download happens.
export GO111MODULE=off GOPATH=$gopath GOFLAGS= GOCACHE=$out/.gocache GOTMPDIR=
export CGO_ENABLED=0

# build <output-name> <package-or-file> <source-dir>
build() {
    target=$out/$1
    if [ -x "$target" ] && [ -z "$(find "$3" -name '*.go' -newer "$target" | head -n 1)" ] &&
        [ -z "$(find "$pion_src" -maxdepth 1 -name '*.go' -newer "$target" | head -n 1)" ]; then
        return 0
    fi
    go build -o "$target.tmp" "$2"
    mv -f "$target.tmp" "$target"
}
build stun-client github.com/pion/stun/cmd/stun-client "$pion_src/cmd/stun-client"
build stun-bench github.com/pion/stun/cmd/stun-bench "$pion_src/cmd/stun-bench"
build stun-conn-client "$here/stun-conn-client/main.go" "$here/stun-conn-client"
