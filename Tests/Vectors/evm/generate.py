#!/usr/bin/env python3
"""Generates eth-account-transactions.json: seeded random legacy (EIP-155) and EIP-1559
transactions signed by eth-account, for byte-for-byte comparison with Bridge/EVM.

Run from the repository root:
    python3 -m venv .build/evm-venv
    .build/evm-venv/bin/pip install eth-account==0.13.7 rlp==5.0.0
    .build/evm-venv/bin/python Tests/Vectors/evm/generate.py > Tests/Vectors/evm/eth-account-transactions.json
"""
import json
import random
import sys

import eth_account
from eth_account import Account
from eth_account._utils.legacy_transactions import serializable_unsigned_transaction_from_dict
from eth_utils import keccak, to_checksum_address

SEED = 20261122
COUNT_PER_KIND = 25
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def pick_uint(rng, bits):
    """Mostly small values, sometimes edge values, so both short and long encodings appear."""
    choice = rng.random()
    if choice < 0.1:
        return 0
    if choice < 0.2:
        return (1 << bits) - 1
    if choice < 0.6:
        return rng.randrange(1, 1 << 32)
    return rng.randrange(1, 1 << bits)


def pick_address(rng):
    return to_checksum_address(bytes(rng.getrandbits(8) for _ in range(20)))


def pick_data(rng):
    length = rng.choice([0, 0, 1, 4, 36, 55, 56, 100, 300, 1100])
    data = bytes(rng.getrandbits(8) for _ in range(length))
    if length == 1 and rng.random() < 0.5:
        data = bytes([rng.randrange(0, 0x80)])  # a single byte that encodes as itself
    return data


def pick_key(rng):
    while True:
        key = rng.getrandbits(256)
        if 0 < key < SECP256K1_N:
            return key.to_bytes(32, "big")


def make(rng, kind):
    key = pick_key(rng)
    chain_id = rng.choice([1, 5, 10, 137, 1337, 11155111, (1 << 32) + 7, (1 << 63) - 1, rng.randrange(1, 1 << 40)])
    tx = {
        "chainId": chain_id,
        "nonce": pick_uint(rng, 64),
        "gas": pick_uint(rng, 64),
        "value": pick_uint(rng, 256),
        "data": pick_data(rng),
    }
    creates = rng.random() < 0.15
    if not creates:
        tx["to"] = pick_address(rng)
    if kind == "legacy":
        tx["gasPrice"] = pick_uint(rng, 256)
    else:
        tx["type"] = 2
        tx["maxFeePerGas"] = pick_uint(rng, 256)
        tx["maxPriorityFeePerGas"] = pick_uint(rng, 256)
        tx["accessList"] = [
            {
                "address": pick_address(rng),
                "storageKeys": ["0x" + bytes(rng.getrandbits(8) for _ in range(32)).hex() for _ in range(rng.randrange(0, 4))],
            }
            for _ in range(rng.choice([0, 0, 1, 2, 3]))
        ]
    signed = Account.sign_transaction(tx, key)
    signing_hash = serializable_unsigned_transaction_from_dict(dict(tx)).hash()
    raw = bytes(signed.raw_transaction)
    assert keccak(raw) == bytes(signed.hash)
    case = {
        "kind": kind,
        "private_key": key.hex(),
        "chain_id": hex(chain_id),
        "nonce": hex(tx["nonce"]),
        "gas_limit": hex(tx["gas"]),
        "to": tx.get("to"),
        "value": hex(tx["value"]),
        "data": tx["data"].hex(),
        "signing_hash": bytes(signing_hash).hex(),
        "raw": raw.hex(),
        "hash": bytes(signed.hash).hex(),
        "sender": Account.from_key(key).address,
        "v": hex(signed.v),
        "r": hex(signed.r),
        "s": hex(signed.s),
    }
    if kind == "legacy":
        case["gas_price"] = hex(tx["gasPrice"])
    else:
        case["max_fee_per_gas"] = hex(tx["maxFeePerGas"])
        case["max_priority_fee_per_gas"] = hex(tx["maxPriorityFeePerGas"])
        case["access_list"] = tx["accessList"]
    return case


def main():
    rng = random.Random(SEED)
    cases = [make(rng, "legacy") for _ in range(COUNT_PER_KIND)]
    cases += [make(rng, "eip1559") for _ in range(COUNT_PER_KIND)]
    document = {
        "source": f"eth-account {eth_account.__version__}, Tests/Vectors/evm/generate.py, seed {SEED}",
        "transactions": cases,
    }
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
