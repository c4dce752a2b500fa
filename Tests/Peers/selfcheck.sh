#!/usr/bin/env bash
# Starts both peers on free ports, runs their self-checks over HTTP, stops them; non-zero if any fails.
# usage: Tests/Peers/selfcheck.sh        (needs `make peers`)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PEERS_VENV:-$ROOT/.build/peers-venv}/bin/python
eval "$("$HERE/start_peers.sh")" || exit 1
trap 'kill $PEERS_PIDS 2>/dev/null' EXIT
status=0
for check in "test_evm_shim.py $EVM_RPC_URL" "crosscheck_web3.py $EVM_RPC_URL" \
             "test_solana_shim.py $SOLANA_RPC_URL" "crosscheck_solana_py.py $SOLANA_RPC_URL"; do
    set -- $check
    if "$PY" "$HERE/$1" "$2" > "$PEERS_LOGDIR/$1.log" 2>&1; then
        echo "ok   $1 ($(tail -1 "$PEERS_LOGDIR/$1.log"))"
    else
        echo "FAIL $1 (log: $PEERS_LOGDIR/$1.log)"; grep -E "^FAIL|Error|assert" "$PEERS_LOGDIR/$1.log" | head -5
        status=1
    fi
done
# In-process checks (LiteSVM inside the virtualenv, no server).
for check in probe_spl_custody.py; do
    if "$PY" "$HERE/$check" > "$PEERS_LOGDIR/$check.log" 2>&1; then
        echo "ok   $check ($(tail -1 "$PEERS_LOGDIR/$check.log"))"
    else
        echo "FAIL $check (log: $PEERS_LOGDIR/$check.log)"; grep -E "Error|assert" "$PEERS_LOGDIR/$check.log" | head -5
        status=1
    fi
done
exit $status
