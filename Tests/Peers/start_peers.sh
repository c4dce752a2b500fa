#!/usr/bin/env bash
# Starts both chain peers on free loopback ports, for running tests or scripts by hand.
# usage:  eval "$(Tests/Peers/start_peers.sh)"   -> exports EVM_RPC_URL SOLANA_RPC_URL PEERS_PIDS PEERS_LOGDIR
#         kill $PEERS_PIDS                        -> stops them
# env:    PEERS_VENV (default .build/peers-venv, made by `make peers`), EVM_CHAIN_ID (default 31337)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=${PEERS_VENV:-$ROOT/.build/peers-venv}
[ -x "$VENV/bin/python" ] || { echo "error: $VENV is missing: run 'make peers' first" >&2; exit 1; }
RUN=$(mktemp -d "${TMPDIR:-/tmp}/aether-peers.XXXXXX")
"$VENV/bin/python" "$HERE/evm_rpc_shim.py" --port 0 --chain-id "${EVM_CHAIN_ID:-31337}" \
  --ready-file "$RUN/evm.port" > "$RUN/evm.out" 2> "$RUN/evm.err" &
EVM_PID=$!
"$VENV/bin/python" "$HERE/solana_rpc_shim.py" --port 0 --ready-file "$RUN/sol.port" \
  > "$RUN/sol.out" 2> "$RUN/sol.err" &
SOL_PID=$!
for _ in $(seq 1 300); do   # up to 30 s
  [ -s "$RUN/evm.port" ] && [ -s "$RUN/sol.port" ] && break
  if ! kill -0 $EVM_PID 2>/dev/null || ! kill -0 $SOL_PID 2>/dev/null; then
    cat "$RUN"/*.err >&2; kill $EVM_PID $SOL_PID 2>/dev/null || true; exit 1
  fi
  sleep 0.1
done
if ! [ -s "$RUN/evm.port" ] || ! [ -s "$RUN/sol.port" ]; then
  echo "error: the peers did not start within 30 s" >&2; cat "$RUN"/*.err >&2
  kill $EVM_PID $SOL_PID 2>/dev/null || true; exit 1
fi
echo "export EVM_RPC_URL=http://127.0.0.1:$(cat "$RUN/evm.port")"
echo "export SOLANA_RPC_URL=http://127.0.0.1:$(cat "$RUN/sol.port")"
echo "export PEERS_PIDS=\"$EVM_PID $SOL_PID\""
echo "export PEERS_LOGDIR=$RUN"
