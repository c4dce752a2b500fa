#!/usr/bin/env python3
"""Self-check: solana-py, which parses every answer with solders' strict RPC response types, reads
the Solana peer's (solana_rpc_shim.py) answers; a parse failure or a wrong value exits non-zero.
usage: .build/peers-venv/bin/python Tests/Peers/crosscheck_solana_py.py http://127.0.0.1:PORT"""
import asyncio, sys
from solana.rpc.async_api import AsyncClient
from solana.rpc.models import TxOpts
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.transaction import VersionedTransaction, Transaction
from solders.system_program import transfer, TransferParams


async def main():
    c = AsyncClient(sys.argv[1])
    print("health", (await c.is_connected()), "slot", (await c.get_slot()).value)
    kp, bob = Keypair(), Keypair()
    air = (await c.request_airdrop(kp.pubkey(), 10**9)).value
    print("airdrop sig", str(air)[:12], "balance", (await c.get_balance(kp.pubkey())).value)
    bh = (await c.get_latest_blockhash())
    print("latest blockhash", bh.value.blockhash, "lastValid", bh.value.last_valid_block_height)
    memo = Instruction(Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"), b"solana-py", [])
    msg = MessageV0.try_compile(kp.pubkey(), [transfer(TransferParams(from_pubkey=kp.pubkey(), to_pubkey=bob.pubkey(), lamports=10**6)), memo], [], bh.value.blockhash)
    vtx = VersionedTransaction(msg, [kp])
    sig = (await c.send_transaction(vtx)).value
    print("sent v0", str(sig)[:12])
    conf = (await c.confirm_transaction(sig, commitment="finalized"))
    print("confirm", conf.value[0].confirmation_status, conf.value[0].err)
    assert conf.value[0].err is None
    tx = (await c.get_transaction(sig, encoding="json", max_supported_transaction_version=0)).value
    print("get_transaction slot", tx.slot, "fee", tx.transaction.meta.fee, "logs", tx.transaction.meta.log_messages[-1])
    tx64 = (await c.get_transaction(sig, encoding="base64", max_supported_transaction_version=0)).value
    print("get_transaction base64 decoded sig matches", tx64.transaction.transaction.signatures[0] == sig)
    legacy = Transaction.new_signed_with_payer([memo], kp.pubkey(), [kp], (await c.get_latest_blockhash()).value.blockhash)
    s2 = (await c.send_raw_transaction(bytes(legacy), opts=TxOpts(skip_preflight=False))).value
    print("legacy via send_raw_transaction", str(s2)[:12], (await c.get_signature_statuses([s2])).value[0].confirmation_status)
    ai = (await c.get_account_info(kp.pubkey())).value
    print("account info owner", ai.owner, "lamports", ai.lamports)
    assert (await c.get_balance(bob.pubkey())).value == 10**6
    print("bob", (await c.get_balance(bob.pubkey())).value, "rent(0)", (await c.get_minimum_balance_for_rent_exemption(0)).value)
    print("fee for message", (await c.get_fee_for_message(msg)).value)
    try:
        (await c.send_transaction(VersionedTransaction(msg, [kp])))
    except Exception as e:
        print("duplicate ->", type(e).__name__, str(e)[:120])
    await c.close()
    print("OK: solana-py parsed every answer")

asyncio.run(main())
