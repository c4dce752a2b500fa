#!/usr/bin/env python3
"""The settlement contract (Bridge/Contracts/build/BatchSettlement.bin) against a real EVM.

Deploys the committed artifacts through the EVM peer (evm_rpc_shim.py) over HTTP JSON-RPC with
web3 and eth-account, builds batches and their Merkle trees in Python from Docs/spec/settlement.md
(independently of the Swift code and of the contract), signs them with eth-account committee keys,
and checks recording, refusals, claims and rotation. Exits non-zero if any check fails; the last
line is the gas figures as JSON ({"gas": {...}}) for benchmarks.

    .build/peers-venv/bin/python Tests/Peers/test_settlement_contract.py [RPC_URL]

Without RPC_URL it starts its own EVM peer on a free port (chain id 31337) and stops it at the end.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak, to_checksum_address
from web3 import Web3

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(ROOT, "Bridge", "Contracts", "build")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
BATCH_TAG = keccak(b"aether.settlement.batch.v1")
ROTATE_TAG = keccak(b"aether.settlement.rotate.v1")
ZERO = "0x" + "00" * 20

results = []
gas = {}


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + (f"  [{detail}]" if detail != "" else ""), flush=True)


def key(i):
    return Account.from_key(i.to_bytes(32, "big"))


# ------------------------------------------------------------------ the spec, in Python
def word(x):
    return x.to_bytes(32, "big")


def pad_address(address):
    return bytes(12) + bytes.fromhex(address[2:])


def leaf(batch_id, index, kind, recipient32, asset32, amount):
    assert len(recipient32) == 32 and len(asset32) == 32
    return keccak(b"\x00" + word(batch_id) + word(index) + word(kind) + recipient32 + asset32 + word(amount))


def node(left, right):
    return keccak(b"\x01" + left + right)


class Tree:
    def __init__(self, leaves):
        width = 1
        while width < len(leaves):
            width *= 2
        level = list(leaves) + [bytes(32)] * (width - len(leaves))
        self.levels = [level]
        while len(level) > 1:
            level = [node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            self.levels.append(level)
        self.root = level[0]

    def proof(self, index):
        out = []
        for level in self.levels[:-1]:
            out.append(level[index ^ 1])
            index >>= 1
        return out


class Batch:
    """payouts: (kind, recipient32, asset32, amount)"""

    def __init__(self, batch_id, payouts):
        self.batch_id, self.payouts = batch_id, payouts
        self.leaves = [leaf(batch_id, i, *p) for i, p in enumerate(payouts)]
        self.tree = Tree(self.leaves)
        self.root = self.tree.root


def eip191(inner):
    return keccak(b"\x19Ethereum Signed Message:\n32" + inner)


def batch_inner(chain_id, contract, batch_id, root):
    return keccak(encode(["bytes32", "uint256", "address", "uint256", "bytes32"],
                         [BATCH_TAG, chain_id, contract, batch_id, root]))


def rotation_inner(chain_id, contract, next_epoch, members, weights, threshold):
    committee = keccak(encode(["address[]", "uint256[]", "uint256"], [members, weights, threshold]))
    return keccak(encode(["bytes32", "uint256", "address", "uint256", "bytes32"],
                         [ROTATE_TAG, chain_id, contract, next_epoch, committee]))


def sign(accounts, inner, order=True):
    """65-byte r‖s‖v EIP-191 signatures, in ascending signer order unless order is False."""
    if order:
        accounts = sorted(accounts, key=lambda a: int(a.address, 16))
    return [bytes(a.sign_message(encode_defunct(primitive=inner)).signature) for a in accounts]


def high_s(sig):
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    return r + word(SECP256K1_N - s) + bytes([55 - v])   # the same signer, the malleated twin


# ------------------------------------------------------------------ the peer
class Peer:
    def __init__(self, url):
        self.proc = None
        if url is None:
            self.dir = tempfile.mkdtemp(prefix="aether-evm-")
            ready = os.path.join(self.dir, "port")
            self.proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "evm_rpc_shim.py"), "--chain-id", "31337",
                 "--port", "0", "--ready-file", ready],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "err"), "w"))
            for _ in range(600):
                if os.path.exists(ready) and open(ready).read().strip():
                    break
                if self.proc.poll() is not None:
                    sys.exit("EVM peer died: " + open(os.path.join(self.dir, "err")).read())
                time.sleep(0.05)
            else:
                sys.exit("EVM peer did not start")
            url = "http://127.0.0.1:" + open(ready).read().strip()
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
        self.chain_id = self.w3.eth.chain_id

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)

    def send(self, sender, to, data=b"", value=0, gas_limit=None):
        w3 = self.w3
        tx = {"type": 2, "chainId": self.chain_id, "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
              "value": value, "data": data, "maxPriorityFeePerGas": 10**9,
              "maxFeePerGas": 2 * w3.eth.get_block("latest").baseFeePerGas + 10**9}
        if to:
            tx["to"] = to
        if gas_limit is None:
            estimate = {"from": sender.address, "data": data, "value": value}
            if to:
                estimate["to"] = to
            gas_limit = int(w3.eth.estimate_gas(estimate) * 1.25) + 10_000
        tx["gas"] = gas_limit
        tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
        return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.01)

    def revert(self, sender, to, data, value=0):
        """The revert message of a call (eth_call), or None if it succeeds."""
        answer = self.w3.provider.make_request(
            "eth_call", [{"from": sender.address, "to": to, "data": "0x" + data.hex(), "value": hex(value)}, "latest"])
        if "error" in answer:
            return answer["error"].get("message", "")
        return None


def artifact(name):
    abi = json.load(open(os.path.join(BUILD, name + ".abi.json")))
    code = bytes.fromhex(open(os.path.join(BUILD, name + ".bin")).read().strip().removeprefix("0x"))
    return abi, code


def deploy(peer, sender, name, *args):
    abi, code = artifact(name)
    factory = peer.w3.eth.contract(abi=abi, bytecode=code)
    receipt = peer.send(sender, None, bytes.fromhex(factory.constructor(*args).data_in_transaction[2:]))
    assert receipt.status == 1, f"deploying {name} failed"
    return peer.w3.eth.contract(address=receipt.contractAddress, abi=abi), receipt


def call_data(contract, fn, *args):
    return bytes.fromhex(contract.encode_abi(fn, list(args))[2:])


def expect_revert(peer, name, sender, contract, fn, args, message, value=0):
    got = peer.revert(sender, contract.address, call_data(contract, fn, *args), value)
    check(name, got is not None and message in got, got)


# ------------------------------------------------------------------ the checks
def main():
    peer = Peer(sys.argv[1] if len(sys.argv) > 1 else None)
    try:
        run(peer)
    finally:
        peer.stop()
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    print(json.dumps({"gas": gas}, sort_keys=True))
    sys.exit(1 if failed else 0)


def run(peer):
    w3, chain_id = peer.w3, peer.chain_id
    rng = random.Random(7)
    deployer, relayer, stranger = key(0x0a), key(0x09), key(0x08)   # prefunded by the peer
    committee = [key(0x1001 + i) for i in range(4)]
    members = sorted(committee, key=lambda a: int(a.address, 16))
    settlement, receipt = deploy(peer, deployer, "BatchSettlement", [a.address for a in members], [1] * 4, 3)
    gas["deploy"] = receipt.gasUsed
    address = settlement.address
    fn = settlement.functions
    check("deployed: epoch 0, threshold 3, weights 1", fn.epoch().call() == 0 and fn.threshold().call() == 3
          and all(fn.weightOf(a.address).call() == 1 for a in committee) and fn.weightOf(stranger.address).call() == 0)

    token, _ = deploy(peer, deployer, "TestToken", 10**30)
    receipt = peer.send(deployer, token.address, call_data(token, "transfer", address, 10**27))
    check("token funded", receipt.status == 1 and token.functions.balanceOf(address).call() == 10**27)
    receipt = peer.send(deployer, address, b"", value=10**21)
    check("__default__ takes ether", receipt.status == 1 and w3.eth.get_balance(address) == 10**21)

    # --- a batch: ether and token payouts to existing accounts, and Solana payouts the EVM ignores
    recipients = [key(0x5001 + i) for i in range(12)]
    for r in recipients:   # make the recipients exist (a new account costs 25,000 more)
        peer.send(deployer, r.address, b"", value=1, gas_limit=21_000)
        peer.send(deployer, token.address, call_data(token, "transfer", r.address, 1))
    payouts = []
    for i in range(300):
        if i % 7 == 3:
            payouts.append((2, rng.randbytes(32), bytes(32), rng.randrange(1, 2**64)))
        else:
            r = recipients[i % len(recipients)]
            asset = ZERO if i % 3 else token.address
            payouts.append((1, pad_address(r.address), pad_address(asset), rng.randrange(1, 10**15)))
    batch = Batch(7, payouts)
    inner = batch_inner(chain_id, address, batch.batch_id, batch.root)
    check("digest() is the EIP-191 hash of the tagged abi.encode",
          fn.digest(batch.batch_id, batch.root).call() == eip191(inner))
    sigs = sign(committee[:3], inner)

    # --- refusals before recording
    expect_revert(peer, "2 of 4 (weight 2 < 3): below threshold", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, sign(committee[:2], inner)], "below threshold")
    expect_revert(peer, "no signatures: below threshold", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, []], "below threshold")
    outsider = key(0x2001)
    expect_revert(peer, "a non-member's signature: not a member", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, sign(committee[:2] + [outsider], inner)], "not a member")
    expect_revert(peer, "the same signer twice: signers not ascending", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, [sigs[0], sigs[0], sigs[1]]], "signers not ascending")
    expect_revert(peer, "signers in descending order: signers not ascending", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, list(reversed(sigs))], "signers not ascending")
    expect_revert(peer, "a high-s twin of a valid signature: high s", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, [sigs[0], high_s(sigs[1]), sigs[2]]], "high s")
    for v in (0, 1, 29):
        expect_revert(peer, f"v = {v}: bad v", relayer, settlement, "recordBatch",
                      [batch.batch_id, batch.root, [sigs[0][:64] + bytes([v]), sigs[1], sigs[2]]], "bad v")
    expect_revert(peer, "a 64-byte signature: bad signature length", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, [sigs[0][:64], sigs[1], sigs[2]]], "bad signature length")
    forged = sign([committee[0]], batch_inner(chain_id, address, batch.batch_id, keccak(b"another root")))[0]
    expect_revert(peer, "a member's signature over another root: not a member", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, [forged] + sigs[1:]], "not a member")
    expect_revert(peer, "an unrecoverable signature (r = 0): bad signature", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, [bytes(32) + sigs[0][32:]] + sigs[1:]], "bad signature")
    for label, other in (("chain id 1", batch_inner(1, address, batch.batch_id, batch.root)),
                         ("another contract", batch_inner(chain_id, to_checksum_address("0x" + "11" * 20),
                                                          batch.batch_id, batch.root)),
                         ("no EIP-191 prefix", None)):
        if other is None:   # the same fields signed as a raw hash, without the EIP-191 prefix
            bad = [bytes(a.unsafe_sign_hash(inner).signature) for a in members if a in committee[:3]]
        else:
            bad = sign(committee[:3], other)
        expect_revert(peer, f"signatures for {label}: not a member", relayer, settlement, "recordBatch",
                      [batch.batch_id, batch.root, bad], "not a member")
    rot_shaped = sign(committee[:3], keccak(encode(["bytes32", "uint256", "address", "uint256", "bytes32"],
                                                   [ROTATE_TAG, chain_id, address, batch.batch_id, batch.root])))
    expect_revert(peer, "the same fields under the rotation tag: not a member", relayer, settlement,
                  "recordBatch", [batch.batch_id, batch.root, rot_shaped], "not a member")
    expect_revert(peer, "claim before recording: unknown batch", stranger, settlement, "claim",
                  [batch.batch_id, 0, recipients[0].address, ZERO, payouts[0][3], batch.tree.proof(0)],
                  "unknown batch")

    # --- record 3 of 4
    receipt = peer.send(relayer, address, call_data(settlement, "recordBatch", batch.batch_id, batch.root, sigs))
    gas["recordBatch_3_of_4"] = receipt.gasUsed
    events = settlement.events.BatchRecorded().process_receipt(receipt)
    check("recordBatch 3 of 4 succeeds", receipt.status == 1 and fn.roots(batch.batch_id).call() == batch.root,
          f"gas {receipt.gasUsed}")
    check("BatchRecorded(batchId, root, epoch 0, weight 3)", len(events) == 1 and dict(events[0].args) == {
        "batchId": batch.batch_id, "root": batch.root, "epoch": 0, "weight": 3}, events and dict(events[0].args))
    expect_revert(peer, "the same batch again: already recorded", relayer, settlement, "recordBatch",
                  [batch.batch_id, batch.root, sigs], "already recorded")
    other_root = keccak(b"conflict")
    expect_revert(peer, "another root for the batch id: already recorded", relayer, settlement, "recordBatch",
                  [batch.batch_id, other_root, sign(committee[1:], batch_inner(chain_id, address, batch.batch_id,
                                                                                other_root))], "already recorded")
    receipt = peer.send(relayer, address, call_data(settlement, "recordBatch", batch.batch_id, batch.root, sigs),
                        gas_limit=300_000)
    check("a replayed recordBatch transaction is mined reverted", receipt.status == 0)

    # --- claims
    def claim_args(i, recipient=None, asset=None, amount=None, proof=None, index=None):
        kind, r32, a32, amt = payouts[i]
        return [batch.batch_id, i if index is None else index,
                recipient or to_checksum_address("0x" + r32[12:].hex()),
                asset or to_checksum_address("0x" + a32[12:].hex()),
                amt if amount is None else amount, batch.tree.proof(i) if proof is None else proof]

    ether = [i for i, p in enumerate(payouts) if p[0] == 1 and p[2] == bytes(32)]
    tokens = [i for i, p in enumerate(payouts) if p[0] == 1 and p[2] != bytes(32)]
    i = ether[0]
    args = claim_args(i)
    expect_revert(peer, "claim with a wrong amount: bad proof", stranger, settlement, "claim",
                  claim_args(i, amount=payouts[i][3] + 1), "bad proof")
    expect_revert(peer, "claim to another recipient: bad proof", stranger, settlement, "claim",
                  claim_args(i, recipient=stranger.address), "bad proof")
    expect_revert(peer, "claim in another asset: bad proof", stranger, settlement, "claim",
                  claim_args(i, asset=token.address), "bad proof")
    expect_revert(peer, "claim with another index's proof: bad proof", stranger, settlement, "claim",
                  claim_args(i, proof=batch.tree.proof(i + 1)), "bad proof")
    expect_revert(peer, "claim with a short proof: bad proof", stranger, settlement, "claim",
                  claim_args(i, proof=batch.tree.proof(i)[:-1]), "bad proof")
    expect_revert(peer, "claim at index + 2^depth with the same proof: bad proof", stranger, settlement, "claim",
                  claim_args(i, index=i + 512), "bad proof")
    expect_revert(peer, "claim in another batch: unknown batch", stranger, settlement, "claim",
                  [8] + args[1:], "unknown batch")
    solana = next(j for j, p in enumerate(payouts) if p[0] == 2)
    expect_revert(peer, "a Solana payout is not claimable: bad proof", stranger, settlement, "claim",
                  claim_args(solana, recipient=stranger.address, asset=ZERO), "bad proof")

    recipient = args[2]
    before = w3.eth.get_balance(recipient)
    check("isClaimed false before", not fn.isClaimed(batch.batch_id, i).call())
    receipt = peer.send(stranger, address, call_data(settlement, "claim", *args))   # anyone may submit
    gas["claim_ether_first_in_word"] = receipt.gasUsed
    events = settlement.events.Claimed().process_receipt(receipt)
    check("claim pays the ether to the recipient, submitted by someone else",
          receipt.status == 1 and w3.eth.get_balance(recipient) - before == payouts[i][3], f"gas {receipt.gasUsed}")
    check("Claimed(batchId, index, recipient, asset, amount)", len(events) == 1 and dict(events[0].args) == {
        "batchId": batch.batch_id, "index": i, "recipient": recipient, "asset": ZERO, "amount": payouts[i][3]})
    check("isClaimed true after, and only for that index", fn.isClaimed(batch.batch_id, i).call()
          and not fn.isClaimed(batch.batch_id, i + 1).call() and not fn.isClaimed(batch.batch_id, i + 256).call())
    expect_revert(peer, "the same claim again: already claimed", stranger, settlement, "claim", args, "already claimed")
    expect_revert(peer, "the recipient claiming again itself: already claimed", relayer, settlement, "claim", args,
                  "already claimed")

    i = next(j for j in ether if j > ether[0] and j < 256)
    before = w3.eth.get_balance(claim_args(i)[2])
    receipt = peer.send(stranger, address, call_data(settlement, "claim", *claim_args(i)))
    gas["claim_ether"] = receipt.gasUsed
    check("a second ether claim in the same bitmap word", receipt.status == 1
          and w3.eth.get_balance(claim_args(i)[2]) - before == payouts[i][3], f"gas {receipt.gasUsed}")

    i = tokens[0]
    r = claim_args(i)[2]
    before, held = token.functions.balanceOf(r).call(), token.functions.balanceOf(address).call()
    receipt = peer.send(stranger, address, call_data(settlement, "claim", *claim_args(i)))
    gas["claim_token"] = receipt.gasUsed
    check("claim pays the token amount to the recipient, from the contract's balance", receipt.status == 1
          and token.functions.balanceOf(r).call() - before == payouts[i][3]
          and held - token.functions.balanceOf(address).call() == payouts[i][3], f"gas {receipt.gasUsed}")
    expect_revert(peer, "the token claim again: already claimed", stranger, settlement, "claim", claim_args(i),
                  "already claimed")
    late = [j for j in ether if j >= 256][::4]
    for j in late:   # ether payouts of the second bitmap word
        peer.send(stranger, address, call_data(settlement, "claim", *claim_args(j)))
    check("every claim of the second bitmap word marked, the first word's untouched ones not",
          all(fn.isClaimed(batch.batch_id, j).call() for j in late)
          and not fn.isClaimed(batch.batch_id, ether[2]).call())

    # --- payouts the contract cannot make
    small = Batch(9, [(1, pad_address(recipients[0].address), bytes(32), 10**30),
                      (1, pad_address(recipients[1].address), pad_address(stranger.address), 5),
                      (1, pad_address(recipients[2].address), pad_address(token.address), 10**30)])
    peer.send(relayer, address, call_data(settlement, "recordBatch", small.batch_id, small.root,
                                          sign(committee[1:], batch_inner(chain_id, address, 9, small.root))))
    for j, label in ((0, "more ether than the contract holds"), (1, "a token without code"),
                     (2, "more tokens than the contract holds")):
        p = small.payouts[j]
        data = call_data(settlement, "claim", 9, j, to_checksum_address("0x" + p[1][12:].hex()),
                         to_checksum_address("0x" + p[2][12:].hex()), p[3], small.tree.proof(j))
        check(f"claim of {label} reverts and stays claimable",
              peer.revert(stranger, address, data) is not None and not fn.isClaimed(9, j).call())

    # --- a batch of one payout: the leaf is the root, the proof empty
    one = Batch(10, [(1, pad_address(recipients[3].address), bytes(32), 12345)])
    peer.send(relayer, address, call_data(settlement, "recordBatch", 10, one.root,
                                          sign(committee[:3], batch_inner(chain_id, address, 10, one.root))))
    before = w3.eth.get_balance(recipients[3].address)
    receipt = peer.send(stranger, address, call_data(settlement, "claim", 10, 0, recipients[3].address, ZERO,
                                                     12345, []))
    check("a one-payout batch: root = leaf, empty proof", receipt.status == 1
          and w3.eth.get_balance(recipients[3].address) - before == 12345)

    # --- a contract recipient that needs more than send's 2,300-gas stipend (it stores the value)
    runtime = bytes.fromhex("345f5500")   # CALLVALUE PUSH0 SSTORE STOP
    receipt = peer.send(deployer, None, bytes.fromhex("63") + runtime + bytes.fromhex("5f526004601cf3"))
    hungry = receipt.contractAddress
    wallet = Batch(12, [(1, pad_address(hungry), bytes(32), 4242)])
    peer.send(relayer, address, call_data(settlement, "recordBatch", 12, wallet.root,
                                          sign(committee[:3], batch_inner(chain_id, address, 12, wallet.root))))
    receipt = peer.send(stranger, address, call_data(settlement, "claim", 12, 0, hungry, ZERO, 4242, []))
    check("a contract recipient that needs more than 2,300 gas is paid", receipt.status == 1
          and w3.eth.get_balance(hungry) == 4242 and int.from_bytes(w3.eth.get_storage_at(hungry, 0), "big") == 4242)

    # --- rotation
    new = [key(0x3001 + i) for i in range(4)]
    new_members = sorted(new, key=lambda a: int(a.address, 16))
    new_weights = [2, 3, 4, 5]   # total 14; threshold 10 > 2/3 · 14
    weight_of = {a.address: w for a, w in zip(new_members, new_weights)}
    rinner = rotation_inner(chain_id, address, 1, [a.address for a in new_members], new_weights, 10)
    check("rotationDigest() for epoch 1", fn.rotationDigest([a.address for a in new_members], new_weights, 10).call()
          == eip191(rinner))
    rargs = [[a.address for a in new_members], new_weights, 10]
    expect_revert(peer, "rotation signed by 2 of 4: below threshold", relayer, settlement, "rotateCommittee",
                  rargs + [sign(committee[:2], rinner)], "below threshold")
    expect_revert(peer, "rotation with the batch tag: not a member", relayer, settlement, "rotateCommittee",
                  rargs + [sign(committee[:3], keccak(encode(
                      ["bytes32", "uint256", "address", "uint256", "bytes32"],
                      [BATCH_TAG, chain_id, address, 1, keccak(encode(["address[]", "uint256[]", "uint256"],
                                                                      rargs))])))], "not a member")
    expect_revert(peer, "rotation with another threshold than signed: not a member", relayer, settlement,
                  "rotateCommittee", rargs[:2] + [11, sign(committee[:3], rinner)], "not a member")
    bad_threshold = rotation_inner(chain_id, address, 1, rargs[0], new_weights, 9)
    expect_revert(peer, "a threshold of 2/3 or less: bad threshold", relayer, settlement, "rotateCommittee",
                  rargs[:2] + [9, sign(committee[:3], bad_threshold)], "bad threshold")
    unsorted = rotation_inner(chain_id, address, 1, list(reversed(rargs[0])), new_weights, 10)
    expect_revert(peer, "members not ascending: members not ascending", relayer, settlement, "rotateCommittee",
                  [list(reversed(rargs[0])), new_weights, 10, sign(committee[:3], unsorted)], "members not ascending")
    receipt = peer.send(relayer, address, call_data(settlement, "rotateCommittee", *rargs, sign(committee[:3], rinner)))
    gas["rotateCommittee_4_members"] = receipt.gasUsed
    events = settlement.events.CommitteeRotated().process_receipt(receipt)
    check("rotateCommittee by 3 of 4", receipt.status == 1 and fn.epoch().call() == 1 and fn.threshold().call() == 10
          and all(fn.weightOf(a.address).call() == weight_of[a.address] for a in new)
          and all(fn.weightOf(a.address).call() == 0 for a in committee), f"gas {receipt.gasUsed}")
    check("CommitteeRotated(epoch 1, threshold 10, size 4)", len(events) == 1
          and dict(events[0].args) == {"epoch": 1, "threshold": 10, "size": 4})
    expect_revert(peer, "the rotation replayed: not a member", relayer, settlement, "rotateCommittee",
                  rargs + [sign(committee[:3], rinner)], "not a member")
    b2 = Batch(11, [(1, pad_address(recipients[5].address), bytes(32), 777)])
    i2 = batch_inner(chain_id, address, 11, b2.root)
    expect_revert(peer, "the old committee cannot record: not a member", relayer, settlement, "recordBatch",
                  [11, b2.root, sign(committee, i2)], "not a member")
    expect_revert(peer, "new members of weight 5 + 4 = 9 < 10: below threshold", relayer, settlement,
                  "recordBatch", [11, b2.root, sign(new_members[2:], i2)], "below threshold")
    receipt = peer.send(relayer, address, call_data(settlement, "recordBatch", 11, b2.root, sign(new_members[1:], i2)))
    events = settlement.events.BatchRecorded().process_receipt(receipt)
    check("the new committee records (weight 3 + 4 + 5 = 12, epoch 1)", receipt.status == 1
          and events[0].args["weight"] == 12 and events[0].args["epoch"] == 1)
    i = ether[3]
    before = w3.eth.get_balance(claim_args(i)[2])
    receipt = peer.send(stranger, address, call_data(settlement, "claim", *claim_args(i)))
    check("a batch recorded before the rotation stays claimable", receipt.status == 1
          and w3.eth.get_balance(claim_args(i)[2]) - before == payouts[i][3])

    # --- 67 of 100
    big = [key(0x4001 + i) for i in range(100)]
    big_members = sorted(big, key=lambda a: int(a.address, 16))
    large, receipt = deploy(peer, deployer, "BatchSettlement", [a.address for a in big_members], [1] * 100, 67)
    gas["deploy_100_members"] = receipt.gasUsed
    b3 = Batch(1, [(1, pad_address(r.address), bytes(32), 1000 + k) for k, r in enumerate(recipients)])
    i3 = batch_inner(chain_id, large.address, 1, b3.root)
    chosen = rng.sample(big, 67)
    expect_revert(peer, "66 of 100: below threshold", relayer, large, "recordBatch",
                  [1, b3.root, sign(chosen[:66], i3)], "below threshold")
    receipt = peer.send(relayer, large.address, call_data(large, "recordBatch", 1, b3.root, sign(chosen, i3)))
    gas["recordBatch_67_of_100"] = receipt.gasUsed
    check("recordBatch 67 of 100", receipt.status == 1 and large.functions.roots(1).call() == b3.root,
          f"gas {receipt.gasUsed}")
    expect_revert(peer, "batch 1's signatures for batch 2: not a member", relayer, large, "recordBatch",
                  [2, b3.root, sign(chosen, i3)], "not a member")

    # --- targets from the brief
    check("recordBatch 3 of 4 within 120,000 gas", gas["recordBatch_3_of_4"] <= 120_000, gas["recordBatch_3_of_4"])
    check("claim (ether, existing recipient) within 60,000 gas", gas["claim_ether"] <= 60_000, gas["claim_ether"])


if __name__ == "__main__":
    main()
