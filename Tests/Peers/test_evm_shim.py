#!/usr/bin/env python3
"""Self-check of the EVM peer (evm_rpc_shim.py) over HTTP only (urllib + eth-account signing):
deploys and drives the project's settlement contract (Bridge/Contracts/build/BatchSettlement.bin)
and checks the JSON-RPC answers and error shapes the Swift EVM client relies on.
usage: .build/peers-venv/bin/python Tests/Peers/test_evm_shim.py http://127.0.0.1:PORT"""
import json, os, sys, time, urllib.request
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_abi import encode, decode
from eth_utils import keccak, function_signature_to_4byte_selector as sel

URL = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "..", "Bridge", "Contracts", "build")
_id = 0
results = []


def rpc(method, *params, expect_error=False):
    global _id
    _id += 1
    body = json.dumps({"jsonrpc": "2.0", "id": _id, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(URL, body, {"Content-Type": "application/json"})
    resp = json.load(urllib.request.urlopen(req))
    if "error" in resp and not expect_error:
        raise RuntimeError(f"{method}: {resp['error']}")
    return resp.get("error") if expect_error else resp["result"]


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(("PASS " if cond else "FAIL ") + name + (f"  [{detail}]" if detail else ""))


deployer = Account.from_key("0x" + "00" * 31 + "01")   # prefunded #0
chain_id = int(rpc("eth_chainId"), 16)
check("eth_chainId", chain_id == 31337, chain_id)


def send(acct, to, data=b"", value=0, gas=None):
    nonce = int(rpc("eth_getTransactionCount", acct.address, "pending"), 16)
    tip = int(rpc("eth_maxPriorityFeePerGas"), 16)
    fh = rpc("eth_feeHistory", "0x1", "latest", [])
    base_next = int(fh["baseFeePerGas"][-1], 16)
    tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "value": value, "data": data,
          "maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base_next + tip}
    if to:
        tx["to"] = to
    if gas is None:
        est = {"from": acct.address, "data": "0x" + data.hex(), "value": hex(value)}
        if to:
            est["to"] = to
        gas = int(int(rpc("eth_estimateGas", est), 16) * 1.2)
    tx["gas"] = gas
    raw = acct.sign_transaction(tx).raw_transaction
    h = rpc("eth_sendRawTransaction", "0x" + raw.hex())
    return h, rpc("eth_getTransactionReceipt", h)


# fund a fresh key (type-2 tx from prefunded #0)
fresh = Account.create()
h, r = send(deployer, fresh.address, value=10**18, gas=21000)
check("type-2 transfer mined, status 1", r and r["status"] == "0x1" and r["type"] == "0x2")
check("eth_getBalance of funded key", int(rpc("eth_getBalance", fresh.address, "latest"), 16) == 10**18)

# deploy contract from the fresh key
bytecode = bytes.fromhex(open(f"{BUILD}/BatchSettlement.bin").read().strip()[2:])
committee = sorted([Account.create() for _ in range(4)], key=lambda a: int(a.address, 16))
ctor = encode(["address[]", "uint256[]", "uint256"], [[a.address for a in committee], [1] * 4, 3])
t0 = time.time()
h, r = send(fresh, None, bytecode + ctor)
addr = r["contractAddress"]
check("deploy via eth_sendRawTransaction", r["status"] == "0x1" and addr, f"{addr} gas={int(r['gasUsed'],16)} {time.time()-t0:.2f}s")
check("eth_getCode non-empty", len(rpc("eth_getCode", addr, "latest")) > 10)

root = keccak(text="payout-merkle-root-42")


def sigs(batch, signers, r=root):
    inner = keccak(encode(["bytes32", "uint256", "address", "uint256", "bytes32"],
                          [keccak(b"aether.settlement.batch.v1"), chain_id, addr, batch, r]))
    return [bytes(a.sign_message(encode_defunct(primitive=inner)).signature) for a in signers]


SETTLE = sel("recordBatch(uint256,bytes32,bytes[])")
call_thr = rpc("eth_call", {"to": addr, "data": "0x" + sel("threshold()").hex()}, "latest")
check("eth_call threshold() without from", int(call_thr, 16) == 3)

bad = SETTLE + encode(["uint256", "bytes32", "bytes[]"], [42, root, sigs(42, committee[:2])])
e = rpc("eth_call", {"from": fresh.address, "to": addr, "data": "0x" + bad.hex()}, "latest", expect_error=True)
check("eth_call revert -> code 3 + Error(string) data", e and e["code"] == 3 and e["data"].startswith("0x08c379a0")
      and "below threshold" in e["message"], e)
e = rpc("eth_estimateGas", {"from": fresh.address, "to": addr, "data": "0x" + bad.hex()}, expect_error=True)
check("eth_estimateGas revert -> code 3", e and e["code"] == 3 and "below threshold" in e["message"], e)

# reverting tx sent raw with explicit gas: mined with status 0 (as on a real chain)
h, r = send(fresh, addr, bad, gas=300000)
check("reverting raw tx mined with status 0", r["status"] == "0x0")

good = SETTLE + encode(["uint256", "bytes32", "bytes[]"], [42, root, sigs(42, committee[:3])])
h, r = send(fresh, addr, good)
check("recordBatch 3-of-4 status 1", r["status"] == "0x1", f"gasUsed={int(r['gasUsed'],16)}")
check("receipt has 1 log", len(r["logs"]) == 1 and r["logs"][0]["address"].lower() == addr.lower())
stored = rpc("eth_call", {"to": addr, "data": "0x" + (sel("roots(uint256)") + encode(["uint256"], [42])).hex()})
check("roots(42) == root", bytes.fromhex(stored[2:]) == root)
slot_probe = rpc("eth_getStorageAt", addr, "0x1", "latest")  # vyper layout: slot 1 = threshold
check("eth_getStorageAt slot 1 == threshold 3", len(slot_probe) == 66 and int(slot_probe, 16) == 3, slot_probe)

topic0 = "0x" + keccak(text="BatchRecorded(uint256,bytes32,uint256,uint256)").hex()
logs = rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": addr, "topics": [topic0]})
check("eth_getLogs by address+topic0", len(logs) == 1 and decode(["bytes32", "uint256", "uint256"], bytes.fromhex(logs[0]["data"][2:]))[0] == root)
logs2 = rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest",
                            "topics": [topic0, "0x" + (43).to_bytes(32, "big").hex()]})
check("eth_getLogs with non-matching indexed topic -> 0", logs2 == [])
logs3 = rpc("eth_getLogs", {"blockHash": r["blockHash"]})
check("eth_getLogs by blockHash", len(logs3) == 1)

# error mapping
raw_old = fresh.sign_transaction({"type": 2, "chainId": chain_id, "nonce": 0, "to": addr, "value": 0, "gas": 21000,
                                  "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1}).raw_transaction
e = rpc("eth_sendRawTransaction", "0x" + raw_old.hex(), expect_error=True)
check("nonce too low -> -32000", e and e["code"] == -32000 and e["message"].startswith("nonce too low"), e["message"][:60])
poor = Account.create()
raw_poor = poor.sign_transaction({"type": 2, "chainId": chain_id, "nonce": 0, "to": addr, "value": 1, "gas": 21000,
                                  "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1}).raw_transaction
e = rpc("eth_sendRawTransaction", "0x" + raw_poor.hex(), expect_error=True)
check("insufficient funds -> -32000", e and e["message"].startswith("insufficient funds"), e["message"][:60])
raw_tip = fresh.sign_transaction({"type": 2, "chainId": chain_id, "nonce": int(rpc("eth_getTransactionCount", fresh.address, "pending"), 16),
                                  "to": addr, "value": 0, "gas": 50000, "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 2 * 10**9}).raw_transaction
e = rpc("eth_sendRawTransaction", "0x" + raw_tip.hex(), expect_error=True)
check("tip > maxFee rejected (py-evm alone accepts it)", e and e["message"].startswith("max priority fee per gas higher"))
wrong_chain = fresh.sign_transaction({"type": 2, "chainId": 1, "nonce": int(rpc("eth_getTransactionCount", fresh.address, "pending"), 16),
                                      "to": addr, "value": 0, "gas": 50000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1}).raw_transaction
e = rpc("eth_sendRawTransaction", "0x" + wrong_chain.hex(), expect_error=True)
check("wrong chain id rejected (py-evm alone accepts it)", e and "invalid chain id" in e["message"])
legacy155 = fresh.sign_transaction({"chainId": chain_id, "nonce": int(rpc("eth_getTransactionCount", fresh.address, "latest"), 16),
                                    "to": deployer.address, "value": 1, "gas": 21000,
                                    "gasPrice": int(rpc("eth_gasPrice"), 16)}).raw_transaction
h = rpc("eth_sendRawTransaction", "0x" + legacy155.hex())
check("legacy EIP-155 tx accepted", rpc("eth_getTransactionReceipt", h)["type"] == "0x0")
unprot = fresh.sign_transaction({"nonce": int(rpc("eth_getTransactionCount", fresh.address, "latest"), 16),
                                 "to": deployer.address, "value": 1, "gas": 21000,
                                 "gasPrice": int(rpc("eth_gasPrice"), 16)}).raw_transaction
e = rpc("eth_sendRawTransaction", "0x" + unprot.hex(), expect_error=True)
check("pre-EIP-155 tx rejected by default", e and "replay-protected" in e["message"])
check("unknown receipt -> null", rpc("eth_getTransactionReceipt", "0x" + "ab" * 32) is None)

fh = rpc("eth_feeHistory", "0x5", "latest", [10, 50, 90])
check("eth_feeHistory shape", len(fh["baseFeePerGas"]) == 6 and len(fh["gasUsedRatio"]) == 5 and len(fh["reward"]) == 5, fh["oldestBlock"])

# batch request
body = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
                   {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId", "params": []}]).encode()
batch = json.load(urllib.request.urlopen(urllib.request.Request(URL, body, {"Content-Type": "application/json"})))
check("JSON-RPC batch", isinstance(batch, list) and len(batch) == 2)

# automine off + evm_mine, snapshot/revert
snap = rpc("evm_snapshot")
rpc("evm_setAutomine", False)
bn = int(rpc("eth_blockNumber"), 16)
raw = fresh.sign_transaction({"type": 2, "chainId": chain_id, "nonce": int(rpc("eth_getTransactionCount", fresh.address, "pending"), 16),
                              "to": deployer.address, "value": 5, "gas": 21000, "maxFeePerGas": 10**10,
                              "maxPriorityFeePerGas": 1}).raw_transaction
h = rpc("eth_sendRawTransaction", "0x" + raw.hex())
check("automine off: receipt null before evm_mine", rpc("eth_getTransactionReceipt", h) is None)
rpc("evm_mine")
rr = rpc("eth_getTransactionReceipt", h)
check("after evm_mine: receipt present", rr is not None and int(rr["blockNumber"], 16) == bn + 1)
rpc("evm_setAutomine", True)
rpc("evm_revert", snap)
check("evm_revert rewinds head", int(rpc("eth_blockNumber"), 16) == bn)

n_fail = sum(1 for _, ok in results if not ok)
print(f"{len(results) - n_fail} passed, {n_fail} failed")
sys.exit(1 if n_fail else 0)
