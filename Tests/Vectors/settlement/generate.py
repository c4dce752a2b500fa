#!/usr/bin/env python3
"""Writes settlement.json: settlement batches built and signed with the Ethereum Python tooling
(eth_abi, eth_utils.keccak, eth_account), independently of Aether's Swift code, so the Swift tree,
digests and signatures are checked byte for byte. Also ABI encodings of the contract's calls made
by eth_abi.

    .build/peers-venv/bin/python Tests/Vectors/settlement/generate.py > Tests/Vectors/settlement/settlement.json
"""
import json
import random

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak, to_checksum_address

BATCH_TAG = keccak(b"aether.settlement.batch.v1")
ROTATE_TAG = keccak(b"aether.settlement.rotate.v1")


def leaf(batch_id, index, kind, recipient32, asset32, amount):
    return keccak(b"\x00" + encode(["uint256", "uint256", "uint256", "bytes32", "bytes32", "uint256"],
                                   [batch_id, index, kind, recipient32, asset32, amount]))


def tree(leaves):
    width = 1
    while width < len(leaves):
        width *= 2
    level = leaves + [bytes(32)] * (width - len(leaves))
    levels = [level]
    while len(level) > 1:
        level = [keccak(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def proof(levels, index):
    out = []
    for level in levels[:-1]:
        out.append(level[index ^ 1])
        index >>= 1
    return out


def main():
    rng = random.Random(20261122)
    keys = [Account.from_key(bytes(31) + bytes([i])) for i in range(1, 5)]
    contract = "0x" + bytes(rng.getrandbits(8) for _ in range(20)).hex()
    chain_id = 31337
    batches = []
    for n in [1, 2, 3, 5, 8, 9, 17, 64, 100, 300]:
        batch_id = rng.getrandbits(64)
        payouts = []
        for _ in range(n):
            if rng.random() < 0.6:
                recipient = bytes(12) + bytes(rng.getrandbits(8) for _ in range(20))
                asset = bytes(32) if rng.random() < 0.5 else bytes(12) + bytes(rng.getrandbits(8) for _ in range(20))
                amount = rng.choice([1, rng.getrandbits(64) + 1, rng.getrandbits(256) | 1, 2**256 - 1])
                payouts.append({"kind": 1, "recipient": recipient, "asset": asset, "amount": amount})
            else:
                recipient = bytes(rng.getrandbits(8) for _ in range(32))
                payouts.append({"kind": 2, "recipient": recipient, "asset": bytes(32),
                                "amount": rng.choice([1, rng.getrandbits(64) | 1, 2**64 - 1])})
        leaves = [leaf(batch_id, i, p["kind"], p["recipient"], p["asset"], p["amount"]) for i, p in enumerate(payouts)]
        levels = tree(leaves)
        root = levels[-1][0]
        inner = keccak(encode(["bytes32", "uint256", "address", "uint256", "bytes32"],
                              [BATCH_TAG, chain_id, to_checksum_address(contract), batch_id, root]))
        signable = encode_defunct(primitive=inner)
        signatures = [k.sign_message(signable).signature.hex() for k in keys[:3]]
        digest = keccak(b"\x19Ethereum Signed Message:\n32" + inner)
        indices = sorted({0, n - 1, rng.randrange(n)})
        batches.append({
            "batchId": str(batch_id),
            "payouts": [{"kind": p["kind"], "recipient": p["recipient"].hex(), "asset": p["asset"].hex(),
                         "amount": str(p["amount"])} for p in payouts],
            "leaves": [l.hex() for l in leaves],
            "root": root.hex(),
            "proofs": [{"index": i, "siblings": [s.hex() for s in proof(levels, i)]} for i in indices],
            "digest": digest.hex(),
            "signatures": signatures,
            "recordBatchCall": (keccak(b"recordBatch(uint256,bytes32,bytes[])")[:4] + encode(
                ["uint256", "bytes32", "bytes[]"],
                [batch_id, root, [bytes.fromhex(s.removeprefix("0x")) for s in signatures]])).hex(),
        })
    weights = [1, 2, 3, 4]
    members = sorted(k.address for k in keys)
    committee_hash = keccak(encode(["address[]", "uint256[]", "uint256"], [members, weights, 8]))
    rotation_inner = keccak(encode(["bytes32", "uint256", "address", "uint256", "bytes32"],
                                   [ROTATE_TAG, chain_id, to_checksum_address(contract), 1, committee_hash]))
    out = {
        "source": "eth_abi 6.0.0, eth_utils 6.0.0, eth_account 0.14.0; generate.py in this folder",
        "chainId": chain_id,
        "contract": contract,
        "committeeKeys": [bytes(31).hex() + "%02x" % i for i in range(1, 5)],
        "batches": batches,
        "rotation": {"members": members, "weights": weights, "threshold": 8, "epoch": 1,
                     "committeeHash": committee_hash.hex(),
                     "digest": keccak(b"\x19Ethereum Signed Message:\n32" + rotation_inner).hex()},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
