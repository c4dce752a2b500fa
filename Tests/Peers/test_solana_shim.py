#!/usr/bin/env python3
"""Self-check of the Solana peer (solana_rpc_shim.py) over HTTP only (urllib, solders to build and
sign): transfers, the Memo and Ed25519 programs, blockhash windows and the error shapes the Swift
Solana client relies on.
usage: .build/peers-venv/bin/python Tests/Peers/test_solana_shim.py http://127.0.0.1:PORT"""
import base64, json, struct, sys, urllib.request
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.hash import Hash
from solders.instruction import Instruction, AccountMeta
from solders.message import MessageV0
from solders.transaction import Transaction, VersionedTransaction
from solders.system_program import transfer, TransferParams

URL = sys.argv[1]
MEMO = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
ED25519 = Pubkey.from_string("Ed25519SigVerify111111111111111111111111111")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
results, _id = [], 0


def b58(b):
    n, out = int.from_bytes(b, "big"), ""
    while n:
        n, r = divmod(n, 58); out = _B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def rpc(method, *params, expect_error=False):
    global _id
    _id += 1
    body = json.dumps({"jsonrpc": "2.0", "id": _id, "method": method, "params": list(params)}).encode()
    resp = json.load(urllib.request.urlopen(urllib.request.Request(URL, body, {"Content-Type": "application/json"})))
    if "error" in resp and not expect_error:
        raise RuntimeError(f"{method}: {resp['error']}")
    return resp.get("error") if expect_error else resp["result"]


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + (f"  [{detail}]" if detail else ""))


def memo_ix(text, signers=()):
    return Instruction(MEMO, text, [AccountMeta(s, True, False) for s in signers])


def ed25519_ix(pubkey, sig, msg):
    hdr = 16
    offsets = struct.pack("<7H", hdr + 32, 0xFFFF, hdr, 0xFFFF, hdr + 96, len(msg), 0xFFFF)
    return Instruction(ED25519, bytes([1, 0]) + offsets + pubkey + sig + msg, [])


def blockhash():
    return Hash.from_string(rpc("getLatestBlockhash", {"commitment": "finalized"})["value"]["blockhash"])


payer, bob, committee = Keypair(), Keypair(), Keypair()
sig = rpc("requestAirdrop", str(payer.pubkey()), 5 * 10**9)
st = rpc("getSignatureStatuses", [sig])["value"][0]
check("requestAirdrop + getSignatureStatuses", st and st["err"] is None and st["confirmationStatus"] == "finalized")
check("getBalance after airdrop", rpc("getBalance", str(payer.pubkey()))["value"] == 5 * 10**9)

# legacy tx, base64
tx = Transaction.new_signed_with_payer(
    [transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=bob.pubkey(), lamports=10**7)),
     memo_ix(b"aether:evm-root:0x2926ef10", [payer.pubkey()])], payer.pubkey(), [payer], blockhash())
s1 = rpc("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64", "preflightCommitment": "confirmed"})
check("sendTransaction legacy base64 -> signature", s1 == str(tx.signatures[0]))
# v0 tx, base58 (the RPC default encoding), with ed25519 precompile
root = bytes(range(32))
msg = b"AETHER|solana|batch=7|root=" + root
ix_sig = bytes(committee.sign_message(msg))
m0 = MessageV0.try_compile(payer.pubkey(), [ed25519_ix(bytes(committee.pubkey()), ix_sig, msg),
                                            transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=bob.pubkey(), lamports=10**7)),
                                            memo_ix(b"v0 memo")], [], blockhash())
vtx = VersionedTransaction(m0, [payer])
s2 = rpc("sendTransaction", b58(bytes(vtx)))  # no config: base58
check("sendTransaction v0 base58 (ed25519+transfer+memo)", s2 == str(vtx.signatures[0]))
sts = rpc("getSignatureStatuses", [s1, s2, str(Keypair().sign_message(b"x"))], {"searchTransactionHistory": True})["value"]
check("getSignatureStatuses: 2 ok + 1 null", sts[0]["err"] is None and sts[1]["err"] is None and sts[2] is None)
check("bob balance", rpc("getBalance", str(bob.pubkey()))["value"] == 2 * 10**7)

t1 = rpc("getTransaction", s1, {"encoding": "json", "maxSupportedTransactionVersion": 0})
check("getTransaction legacy json: logs contain memo", any("aether:evm-root" in l for l in t1["meta"]["logMessages"]),
      f"fee={t1['meta']['fee']} version={t1['version']}")
check("getTransaction pre/post balances", t1["meta"]["preBalances"][0] - t1["meta"]["postBalances"][0] == 10**7 + 5000)
e = rpc("getTransaction", s2, {"encoding": "json"}, expect_error=True)
check("getTransaction v0 without maxSupportedTransactionVersion -> -32015", e and e["code"] == -32015)
t2 = rpc("getTransaction", s2, {"encoding": "base64", "maxSupportedTransactionVersion": 0})
check("getTransaction v0 base64 round-trips", base64.b64decode(t2["transaction"][0]) == bytes(vtx) and t2["version"] == 0,
      f"fee={t2['meta']['fee']}")

# tampered ed25519 signature: preflight error -32002 with InstructionError [0, {Custom: 2}]
bad = bytearray(ix_sig); bad[0] ^= 1
m_bad = MessageV0.try_compile(payer.pubkey(), [ed25519_ix(bytes(committee.pubkey()), bytes(bad), msg), memo_ix(b"no")], [], blockhash())
e = rpc("sendTransaction", base64.b64encode(bytes(VersionedTransaction(m_bad, [payer]))).decode(), {"encoding": "base64"}, expect_error=True)
check("bad ed25519 -> -32002 preflight failure", e and e["code"] == -32002 and e["data"]["err"] == {"InstructionError": [0, {"Custom": 2}]}, e and e["message"])
# same with skipPreflight: lands as failed, fee charged
vbad = VersionedTransaction(m_bad, [payer])
sb = rpc("sendTransaction", base64.b64encode(bytes(vbad)).decode(), {"encoding": "base64", "skipPreflight": True})
stb = rpc("getSignatureStatuses", [sb])["value"][0]
check("skipPreflight failing tx lands with err", stb and stb["err"] is not None and "Err" in stb["status"], stb and stb["err"])
# resend -> already processed
e = rpc("sendTransaction", base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}, expect_error=True)
check("resend -> AlreadyProcessed", e and e["data"]["err"] == "AlreadyProcessed")
# bad signature
raw = bytearray(bytes(tx)); raw[10] ^= 1
e = rpc("sendTransaction", base64.b64encode(bytes(raw)).decode(), {"encoding": "base64"}, expect_error=True)
check("corrupted signature -> -32003", e and e["code"] == -32003)
# unknown blockhash
txu = Transaction.new_signed_with_payer([memo_ix(b"x")], payer.pubkey(), [payer], Hash.new_unique())
e = rpc("sendTransaction", base64.b64encode(bytes(txu)).decode(), {"encoding": "base64"}, expect_error=True)
check("unknown blockhash -> BlockhashNotFound", e and e["data"]["err"] == "BlockhashNotFound")
# older-but-recent blockhash still valid (window of 150 slots)
old = blockhash()
rpc("requestAirdrop", str(Keypair().pubkey()), 10**9)  # advances a slot
txo = Transaction.new_signed_with_payer([memo_ix(b"older blockhash")], payer.pubkey(), [payer], old)
check("blockhash from an earlier slot accepted", rpc("sendTransaction", base64.b64encode(bytes(txo)).decode(), {"encoding": "base64"}))
check("isBlockhashValid", rpc("isBlockhashValid", str(old))["value"] is True)
# simulate + fee for message + account info
sim = rpc("simulateTransaction", base64.b64encode(bytes(VersionedTransaction(MessageV0.try_compile(payer.pubkey(), [memo_ix(b"sim")], [], blockhash()), [payer]))).decode(), {"encoding": "base64"})
check("simulateTransaction", sim["value"]["err"] is None and any("sim" in l for l in sim["value"]["logs"]))
unsigned = VersionedTransaction.populate(MessageV0.try_compile(payer.pubkey(), [memo_ix(b"unsigned sim")], [], blockhash()),
                                         [__import__("solders.signature", fromlist=["Signature"]).Signature.default()])
sim2 = rpc("simulateTransaction", base64.b64encode(bytes(unsigned)).decode(), {"encoding": "base64", "replaceRecentBlockhash": True})
check("simulateTransaction of an unsigned tx (sigVerify defaults to false)", sim2["value"]["err"] is None
      and sim2["value"]["replacementBlockhash"] is not None)
fee = rpc("getFeeForMessage", base64.b64encode(bytes(m0)).decode())["value"]
check("getFeeForMessage counts precompile sigs", fee == 10000, fee)
ai = rpc("getAccountInfo", str(payer.pubkey()), {"encoding": "base64"})["value"]
check("getAccountInfo system account", ai["owner"] == "11111111111111111111111111111111" and ai["data"] == ["", "base64"])
check("getAccountInfo unknown -> null", rpc("getAccountInfo", str(Keypair().pubkey()), {"encoding": "base64"})["value"] is None)
check("getSlot / getBlockHeight", rpc("getSlot") > 0 and rpc("getBlockHeight") > 0)

n_fail = results.count(False)
print(f"{len(results) - n_fail} passed, {n_fail} failed")
sys.exit(1 if n_fail else 0)
