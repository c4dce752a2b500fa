#!/usr/bin/env python3
"""Self-check: web3.py's strict HTTPProvider parses every answer of the EVM peer (evm_rpc_shim.py)
it asks for, deploying the project's settlement contract with a one-member committee.
usage: .build/peers-venv/bin/python Tests/Peers/crosscheck_web3.py http://127.0.0.1:PORT"""
import json
import os
import sys

from eth_account import Account
from web3 import Web3

BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Bridge", "Contracts", "build")
w3 = Web3(Web3.HTTPProvider(sys.argv[1]))
assert w3.is_connected()
print("connected, chain", w3.eth.chain_id, "block", w3.eth.block_number)
blk = w3.eth.get_block("latest", full_transactions=True)
print("latest block baseFee", blk.baseFeePerGas, "txs", len(blk.transactions))
print("gas_price", w3.eth.gas_price, "max_priority_fee", w3.eth.max_priority_fee)
print("fee_history", dict(w3.eth.fee_history(3, "latest", [50])))
a = Account.from_key("0x" + "00" * 31 + "02")
abi = json.load(open(os.path.join(BUILD, "BatchSettlement.abi.json")))
code = open(os.path.join(BUILD, "BatchSettlement.bin")).read().strip()
C = w3.eth.contract(abi=abi, bytecode=code)
tx = C.constructor([a.address], [1], 1).build_transaction(
    {"from": a.address, "nonce": w3.eth.get_transaction_count(a.address, "pending")})
print("web3-built tx type", tx.get("type"), "gas", tx["gas"], "maxFee", tx.get("maxFeePerGas"))
h = w3.eth.send_raw_transaction(a.sign_transaction(tx).raw_transaction)
r = w3.eth.wait_for_transaction_receipt(h, timeout=10)
assert r.status == 1
c = w3.eth.contract(address=r.contractAddress, abi=abi)
assert c.functions.threshold().call() == 1 and c.functions.weightOf(a.address).call() == 1
print("deployed", r.contractAddress, "threshold()", c.functions.threshold().call())
assert w3.eth.get_transaction(h)["hash"] == h
rotated = c.events.CommitteeRotated().process_receipt(r)
assert len(rotated) == 1 and rotated[0].args.size == 1
logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": r.contractAddress})
assert len(logs) == 1
print("OK: web3.py parsed every answer")
