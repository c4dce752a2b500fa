#!/usr/bin/env python3
"""Writes messages.json: Solana encodings made by solders (Python bindings of the Rust
solana-sdk types) for seeded random inputs, so Aether's Swift serialisation is checked byte for
byte against an implementation we did not write.

    .build/peers-venv/bin/python Tests/Vectors/solana/generate.py > Tests/Vectors/solana/messages.json

Each case lists its instructions (program, accounts with roles, data), the payer, the blockhash,
the signer seeds; and what solders made: the compiled legacy message, the v0 message, and the
signed legacy transaction. Also base58 strings of random byte strings (with leading zeros).
"""
import json
import random

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message, MessageV0, to_bytes_versioned
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction, VersionedTransaction

SYSTEM = Pubkey.from_string("11111111111111111111111111111111")
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")


def case(rng, index):
    seeds = [bytes(rng.getrandbits(8) for _ in range(32)) for _ in range(rng.randint(1, 3))]
    keys = [Keypair.from_seed(s) for s in seeds]
    payer = keys[0]
    others = [Pubkey(bytes(rng.getrandbits(8) for _ in range(32))) for _ in range(rng.randint(1, 6))]
    programs = [SYSTEM, MEMO] + [Pubkey(bytes(rng.getrandbits(8) for _ in range(32))) for _ in range(2)]
    instructions = []
    for _ in range(rng.randint(1, 5)):
        program = rng.choice(programs)
        metas = []
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.3:
                kp = rng.choice(keys)
                metas.append(AccountMeta(kp.pubkey(), True, rng.random() < 0.5))
            else:
                metas.append(AccountMeta(rng.choice(others), False, rng.random() < 0.5))
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
        instructions.append(Instruction(program, data, metas))
    # every key must sign something for the transaction to need it; make each signer appear
    for kp in keys[1:]:
        instructions.append(Instruction(MEMO, b"sig", [AccountMeta(kp.pubkey(), True, False)]))
    blockhash = Hash(bytes(rng.getrandbits(8) for _ in range(32)))
    legacy = Message.new_with_blockhash(instructions, payer.pubkey(), blockhash)
    v0 = MessageV0.try_compile(payer.pubkey(), instructions, [], blockhash)
    needed = [k for k in keys if legacy.is_signer(list(legacy.account_keys).index(k.pubkey()))]
    tx = Transaction(needed, legacy, blockhash)
    return {
        "payer": str(payer.pubkey()),
        "signerSeeds": [s.hex() for s in seeds],
        "blockhash": str(blockhash),
        "instructions": [
            {
                "program": str(ix.program_id),
                "accounts": [{"key": str(m.pubkey), "signer": m.is_signer, "writable": m.is_writable} for m in ix.accounts],
                "data": bytes(ix.data).hex(),
            }
            for ix in instructions
        ],
        "legacyMessage": bytes(legacy).hex(),
        "v0Message": to_bytes_versioned(v0).hex(),
        "legacyTransaction": bytes(tx).hex(),
        "transactionId": str(tx.signatures[0]),
    }


def main():
    rng = random.Random(20261122)
    # base58 of 32-byte (Pubkey) and 64-byte (Signature) values, some with leading zeros
    cases_b58 = []
    for _ in range(40):
        raw = bytes([0] * rng.randint(0, 3)) + bytes(rng.getrandbits(8) for _ in range(29))
        raw = raw[:32].rjust(32, b"\0") if len(raw) < 32 else raw[:32]
        cases_b58.append({"hex": raw.hex(), "base58": str(Pubkey(raw))})
    for _ in range(20):
        raw = bytes([0] * rng.randint(0, 3)) + bytes(rng.getrandbits(8) for _ in range(64))
        raw = raw[:64]
        cases_b58.append({"hex": raw.hex(), "base58": str(Signature(raw))})
    out = {
        "source": "solders 0.29.0 (solana-sdk types); generate.py in this folder",
        "base58": cases_b58,
        "messages": [case(rng, i) for i in range(40)],
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
