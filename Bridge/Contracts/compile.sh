#!/usr/bin/env bash
# Recompiles the settlement contracts with the pinned Vyper (Tests/Peers/requirements.txt) and checks
# the committed artifacts in build/ are exactly what it produces; --write regenerates them.
# usage: Bridge/Contracts/compile.sh [--write]       (needs `make peers` for the virtualenv)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VYPER=${VYPER:-$ROOT/.build/peers-venv/bin/vyper}
[ -x "$VYPER" ] || { echo "error: $VYPER not found: run 'make peers' first" >&2; exit 1; }
version=$("$VYPER" --version)
case "$version" in 0.4.3*) ;; *) echo "error: Vyper 0.4.3 is pinned, found $version" >&2; exit 1;; esac
status=0
for contract in BatchSettlement TestToken; do
    for format in abi bytecode; do
        case $format in abi) ext=abi.json;; bytecode) ext=bin;; esac
        out=$(cd "$HERE" && "$VYPER" -f "$format" "$contract.vy")
        file="$HERE/build/$contract.$ext"
        if [ "${1:-}" = "--write" ]; then
            printf '%s\n' "$out" > "$file"
        elif ! diff -q <(printf '%s\n' "$out") "$file" >/dev/null 2>&1; then
            echo "error: build/$contract.$ext differs from what Vyper $version compiles from $contract.vy" >&2
            echo "       (run Bridge/Contracts/compile.sh --write and commit the result)" >&2
            status=1
        fi
    done
done
[ $status = 0 ] && [ "${1:-}" != "--write" ] && echo "contracts: artifacts match Vyper $version"
exit $status
