#!/usr/bin/env python3
"""Writes custody.json: program-derived addresses, associated token addresses and the SPL Token,
associated-token and system-nonce instructions that Solana custody uses, as solders and solana-py
(spl.token) make them for seeded random inputs, so Aether's Swift builders are checked byte for
byte against implementations we did not write.

    .build/peers-venv/bin/python Tests/Vectors/solana/generate_custody.py > Tests/Vectors/solana/custody.json
"""
import json
import random

from solders.pubkey import Pubkey
from solders import system_program as sp
import spl.token.instructions as ti
import spl.token.models as tm
from spl.token.constants import TOKEN_PROGRAM_ID


def key(rng):
    return Pubkey(bytes(rng.getrandbits(8) for _ in range(32)))


def ix_json(ix):
    return {
        "program": str(ix.program_id),
        "accounts": [{"key": str(m.pubkey), "signer": m.is_signer, "writable": m.is_writable} for m in ix.accounts],
        "data": bytes(ix.data).hex(),
    }


def main():
    rng = random.Random(20261122)
    pdas = []
    for _ in range(60):
        seeds = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 32))) for _ in range(rng.randint(0, 4))]
        program = key(rng)
        address, bump = Pubkey.find_program_address(seeds, program)
        pdas.append({"seeds": [s.hex() for s in seeds], "program": str(program), "address": str(address), "bump": bump})
    atas = []
    for _ in range(20):
        wallet, mint = key(rng), key(rng)
        atas.append({"wallet": str(wallet), "mint": str(mint),
                     "address": str(ti.get_associated_token_address(wallet, mint))})
    instructions = []
    for _ in range(10):
        a, b, c, d = key(rng), key(rng), key(rng), key(rng)
        signers = [key(rng) for _ in range(rng.randint(1, 11))]
        m = rng.randint(1, len(signers))
        amount = rng.getrandbits(64)
        decimals = rng.randint(0, 9)
        lamports, space = rng.getrandbits(40), rng.randint(0, 1000)
        cases = [
            ("createAccount", {"from": str(a), "new": str(b), "lamports": lamports, "space": space, "owner": str(c)},
             sp.create_account(sp.CreateAccountParams(from_pubkey=a, to_pubkey=b, lamports=lamports, space=space,
                                                      owner=c))),
            ("initializeNonce", {"account": str(a), "authority": str(b)},
             sp.initialize_nonce_account(sp.InitializeNonceAccountParams(nonce_pubkey=a, authority=b))),
            ("advanceNonce", {"account": str(a), "authority": str(b)},
             sp.advance_nonce_account(sp.AdvanceNonceAccountParams(nonce_pubkey=a, authorized_pubkey=b))),
            ("initializeMultisig", {"multisig": str(a), "m": m, "signers": [str(s) for s in signers]},
             ti.initialize_multisig2(tm.InitializeMultisig2Params(program_id=TOKEN_PROGRAM_ID, multisig=a, m=m,
                                                               signers=signers))),
            ("mintTo", {"mint": str(a), "to": str(b), "authority": str(c), "amount": amount},
             ti.mint_to(tm.MintToParams(program_id=TOKEN_PROGRAM_ID, mint=a, dest=b, mint_authority=c,
                                        amount=amount))),
            ("transferChecked", {"source": str(a), "mint": str(b), "destination": str(c), "owner": str(d),
                                 "signers": [str(s) for s in signers[:m]], "amount": amount, "decimals": decimals},
             ti.transfer_checked(tm.TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=a, mint=b, dest=c,
                                                          owner=d, amount=amount, decimals=decimals,
                                                          signers=signers[:m]))),
            ("transferCheckedSingleOwner", {"source": str(a), "mint": str(b), "destination": str(c), "owner": str(d),
                                            "signers": [], "amount": amount, "decimals": decimals},
             ti.transfer_checked(tm.TransferCheckedParams(program_id=TOKEN_PROGRAM_ID, source=a, mint=b, dest=c,
                                                          owner=d, amount=amount, decimals=decimals))),
            ("createIdempotent", {"payer": str(a), "wallet": str(b), "mint": str(c)},
             ti.create_idempotent_associated_token_account(a, b, c)),
        ]
        for name, inputs, ix in cases:
            instructions.append({"kind": name, "inputs": inputs, "instruction": ix_json(ix)})
    print(json.dumps({"generator": "solders 0.29.0 + solana 0.41.0 (spl.token), seed 20261122",
                      "programAddresses": pdas, "associatedTokenAddresses": atas,
                      "instructions": instructions}, indent=1))


main()
