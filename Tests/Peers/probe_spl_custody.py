#!/usr/bin/env python3
"""Facts the Solana custody design (issue #7, Docs/spec/settlement.md "Custody on Solana, planned")
stands on, checked on LiteSVM in process: SPL Token and ATA programs are present; an SPL Token
multisig (M of N) owns a vault token account and moves tokens only with M signer accounts; a
transaction whose recent blockhash is a durable nonce, signed ahead by the committee, lands after
the blockhash expired and cannot land twice; and how many payouts fit in one legacy transaction.

usage: probe_spl_custody.py     (the peers' virtualenv: make peers)
"""
from solders.litesvm import LiteSVM
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import Transaction
from solders.message import Message
from solders.instruction import Instruction
from solders.hash import Hash
from solders import system_program as sp
from spl.token.constants import TOKEN_PROGRAM_ID, ASSOCIATED_TOKEN_PROGRAM_ID
import spl.token.instructions as ti
import spl.token.models as tm
from spl.token._layouts import MULTISIG_LAYOUT, MINT_LAYOUT

MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
PACKET = 1232

svm = LiteSVM()
assert svm.get_account(TOKEN_PROGRAM_ID).executable, "SPL Token is not loaded"
assert svm.get_account(ASSOCIATED_TOKEN_PROGRAM_ID).executable, "the ATA program is not loaded"
relayer = Keypair()
svm.airdrop(relayer.pubkey(), 10_000_000_000)
committee = [Keypair() for _ in range(4)]
M = 3


def send(instructions, signers, blockhash=None):
    blockhash = blockhash or svm.latest_blockhash()
    return svm.send_transaction(
        Transaction(signers, Message.new_with_blockhash(instructions, relayer.pubkey(), blockhash), blockhash))


def ok(result):
    return type(result).__name__ == "TransactionMetadata"


def rent(size):
    return svm.minimum_balance_for_rent_exemption(size)


mint, multisig = Keypair(), Keypair()
assert ok(send([
    sp.create_account(sp.CreateAccountParams(
        from_pubkey=relayer.pubkey(), to_pubkey=mint.pubkey(), lamports=rent(MINT_LAYOUT.sizeof()),
        space=MINT_LAYOUT.sizeof(), owner=TOKEN_PROGRAM_ID)),
    ti.initialize_mint(tm.InitializeMintParams(
        decimals=6, program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), mint_authority=relayer.pubkey())),
    sp.create_account(sp.CreateAccountParams(
        from_pubkey=relayer.pubkey(), to_pubkey=multisig.pubkey(), lamports=rent(MULTISIG_LAYOUT.sizeof()),
        space=MULTISIG_LAYOUT.sizeof(), owner=TOKEN_PROGRAM_ID)),
    ti.initialize_multisig(tm.InitializeMultisigParams(
        program_id=TOKEN_PROGRAM_ID, multisig=multisig.pubkey(), m=M, signers=[k.pubkey() for k in committee])),
], [relayer, mint, multisig])), "mint and multisig"
vault = ti.get_associated_token_address(multisig.pubkey(), mint.pubkey())
assert ok(send([
    ti.create_idempotent_associated_token_account(relayer.pubkey(), multisig.pubkey(), mint.pubkey()),
    ti.mint_to(tm.MintToParams(
        program_id=TOKEN_PROGRAM_ID, mint=mint.pubkey(), dest=vault, mint_authority=relayer.pubkey(),
        amount=1_000_000)),
], [relayer])), "vault"

nonce = Keypair()
assert ok(send(sp.create_nonce_account(relayer.pubkey(), nonce.pubkey(), relayer.pubkey(), rent(80)),
               [relayer, nonce])), "nonce account"


def stored_nonce():
    return Hash(bytes(svm.get_account(nonce.pubkey()).data[40:72]))


payees = [Keypair().pubkey() for _ in range(12)]


def payout_message(count, signers, blockhash):
    instructions = [
        sp.advance_nonce_account(sp.AdvanceNonceAccountParams(
            nonce_pubkey=nonce.pubkey(), authorized_pubkey=relayer.pubkey())),
        Instruction(MEMO, b"aether/settlement batch 1 root " + b"0" * 64, []),
    ]
    for payee in payees[:count]:
        instructions.append(ti.create_idempotent_associated_token_account(relayer.pubkey(), payee, mint.pubkey()))
        instructions.append(ti.transfer_checked(tm.TransferCheckedParams(
            program_id=TOKEN_PROGRAM_ID, source=vault, mint=mint.pubkey(),
            dest=ti.get_associated_token_address(payee, mint.pubkey()), owner=multisig.pubkey(), amount=1_000,
            decimals=6, signers=[k.pubkey() for k in signers])))
    return Message.new_with_blockhash(instructions, relayer.pubkey(), blockhash)


sizes = []
for count in range(1, 8):
    blockhash = stored_nonce()
    sizes.append(len(bytes(Transaction([relayer] + committee[:M], payout_message(count, committee[:M], blockhash),
                                       blockhash))))
fits = max(count for count, size in zip(range(1, 8), sizes) if size <= PACKET)
assert fits == 4, sizes

# Signed ahead against the stored nonce, sent after the blockhash expired: lands once.
blockhash = stored_nonce()
ahead = Transaction([relayer] + committee[:M], payout_message(3, committee[:M], blockhash), blockhash)
svm.expire_blockhash()
svm.warp_to_slot(500)
svm.expire_blockhash()
assert ok(svm.send_transaction(ahead)), "a durable-nonce transaction signed ahead did not land"
replay = svm.send_transaction(ahead)
assert not ok(replay) and "BlockhashNotFound" in str(replay.err()), replay
assert stored_nonce() != blockhash

# M - 1 committee signatures: the token program refuses.
blockhash = stored_nonce()
short = svm.send_transaction(
    Transaction([relayer] + committee[:M - 1], payout_message(1, committee[:M - 1], blockhash), blockhash))
assert not ok(short) and any("MissingRequiredSignature" in line for line in short.meta().logs()), short

print(f"OK: multisig {M} of {len(committee)} ({MULTISIG_LAYOUT.sizeof()} bytes), durable nonce once, "
      f"{fits} payouts per legacy transaction (sizes {sizes[:5]})")
