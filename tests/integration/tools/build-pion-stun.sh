#!/bin/sh
# Builds pion's STUN tools offline from Debian's golang-github-pion-stun-dev sources, plus our
# small pion-based client (stun-conn-client), into <build-dir>/pion/. Cached: a binary is rebuilt
# only when missing or older than its sources. Safe to run from parallel tests (flock).
# Usage: build-pion-stun.sh <build-dir>
# Exit codes: 0 built or up to date; 77 a Debian package is missing (1 instead when CI is set,
# since scripts/deps installs them there); 1 the build failed.
set -eu
build_dir=${1:?usage: build-pion-stun.sh <build-dir>}
gopath=/usr/share/gocode
pion_src=$gopath/src/github.com/pion/stun
here=$(cd "$(dirname "$0")" && pwd)
out=$build_dir/pion
missing() {
    echo "build-pion-stun: $1 (install $2; scripts/deps does)" >&2
    case "${CI:-}" in "" | 0 | false | no) exit 77 ;; *) exit 1 ;; esac
}
command -v go >/dev/null 2>&1 || missing "go not found" golang-go
[ -d "$pion_src/cmd/stun-client" ] || missing "$pion_src missing" golang-github-pion-stun-dev
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
