#!/usr/bin/env bash
# Recompiles the settlement contracts with the pinned Vyper (Tests/Peers/requirements.txt) and checks
# the committed artifacts in build/ are exactly what it produces (non-zero exit and a summary of each
# difference otherwise); --write regenerates them. The EVM version is pinned in each source
# (`# pragma evm-version cancun`, see Docs/adr/0013) and checked here.
# usage: Bridge/Contracts/compile.sh [--write]       (needs `make peers` for the virtualenv)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VYPER=${VYPER:-$ROOT/.build/peers-venv/bin/vyper}
PYTHON=$(dirname "$VYPER")/python
[ -x "$VYPER" ] || { echo "error: $VYPER not found: run 'make peers' first" >&2; exit 1; }
version=$("$VYPER" --version)
case "$version" in 0.4.3*) ;; *) echo "error: Vyper 0.4.3 is pinned, found $version" >&2; exit 1;; esac
write=0
case "${1:-}" in --write) write=1;; "") ;; *) echo "usage: $0 [--write]" >&2; exit 2;; esac
# one line per ABI entry, its kind and name first
abi_lines() {
    "$PYTHON" -c 'import json, sys
for e in json.load(sys.stdin):
    print(e.get("type"), e.get("name", ""), json.dumps(e, sort_keys=True))'
}
status=0
for contract in BatchSettlement TestToken; do
    grep -qx '# pragma evm-version cancun' "$HERE/$contract.vy" || {
        echo "error: $contract.vy must pin '# pragma evm-version cancun'" >&2; status=1; }
    for format in abi bytecode; do
        case $format in abi) ext=abi.json;; bytecode) ext=bin;; esac
        out=$(cd "$HERE" && "$VYPER" -f "$format" "$contract.vy")
        file="$HERE/build/$contract.$ext"
        if [ $write = 1 ]; then
            printf '%s\n' "$out" > "$file"
        elif [ ! -f "$file" ]; then
            echo "error: build/$contract.$ext is missing" >&2; status=1
        elif [ "$out" != "$(cat "$file")" ]; then
            echo "error: build/$contract.$ext differs from what Vyper $version compiles from $contract.vy:" >&2
            if [ $format = abi ]; then   # the ABI entries that differ, one per line
                diff <(printf '%s' "$out" | abi_lines) <(abi_lines < "$file") | grep '^[<>]' \
                    | sed 's/^</    compiled: /; s/^>/    committed:/' | cut -c1-160 | head -20 >&2 || true
            else
                committed=$(tr -d '\n' < "$file")
                first=$("$PYTHON" -c 'import sys; a, b = sys.argv[1], sys.argv[2]; print(next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b))))' "$out" "$committed")
                echo "    compiled $(( (${#out} - 2) / 2 )) bytes, committed $(( (${#committed} - 2) / 2 )) bytes; first difference at byte $(( (first - 2) / 2 ))" >&2
            fi
            status=1
        fi
    done
done
if [ $status != 0 ]; then
    echo "       (run Bridge/Contracts/compile.sh --write and commit the result)" >&2
elif [ $write = 1 ]; then
    echo "contracts: wrote build/ with Vyper $version"
else
    echo "contracts: artifacts match Vyper $version"
fi
exit $status
