# pragma version ==0.4.3
# pragma evm-version cancun
"""
@title Aether batch settlement
@notice Records one Merkle root of payouts per batch id once a stake-weighted quorum of the
        committee has signed it (secp256k1, checked with ecrecover), rotates the committee on
        the current committee's quorum, and pays each payout once to its recipient on a claim
        with a Merkle proof. Formats: Docs/spec/settlement.md; decisions: Docs/adr/0013.
"""

from ethereum.ercs import IERC20

MAX_MEMBERS: constant(uint256) = 128
MAX_PROOF: constant(uint256) = 17
# secp256k1n / 2: a higher s is the malleated twin of a valid signature (EIP-2).
HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168
BATCH_TAG: constant(bytes32) = keccak256("aether.settlement.batch.v1")
ROTATE_TAG: constant(bytes32) = keccak256("aether.settlement.rotate.v1")
KIND_EVM: constant(uint256) = 1

event BatchRecorded:
    batchId: indexed(uint256)
    root: bytes32
    epoch: uint256
    weight: uint256

event CommitteeRotated:
    epoch: indexed(uint256)
    threshold: uint256
    size: uint256

event Claimed:
    batchId: indexed(uint256)
    index: indexed(uint256)
    recipient: indexed(address)
    asset: address
    amount: uint256

epoch: public(uint256)
threshold: public(uint256)
# epoch => member => weight (0: not a member)
weights: HashMap[uint256, HashMap[address, uint256]]
roots: public(HashMap[uint256, bytes32])
# batch id => word (index / 256) => bitmap of claimed indices
claimedBits: HashMap[uint256, HashMap[uint256, uint256]]


@deploy
def __init__(members: DynArray[address, MAX_MEMBERS], weights: DynArray[uint256, MAX_MEMBERS], threshold: uint256):
    self._install(0, members, weights, threshold)


@payable
@external
def __default__():
    pass


@view
@external
def weightOf(member: address) -> uint256:
    return self.weights[self.epoch][member]


@view
@external
def digest(batchId: uint256, root: bytes32) -> bytes32:
    return self._batchDigest(batchId, root)


@view
@external
def rotationDigest(members: DynArray[address, MAX_MEMBERS], weights: DynArray[uint256, MAX_MEMBERS], threshold: uint256) -> bytes32:
    return self._rotationDigest(self.epoch + 1, members, weights, threshold)


@view
@external
def isClaimed(batchId: uint256, index: uint256) -> bool:
    return (self.claimedBits[batchId][index >> 8] >> (index & 255)) & 1 == 1


@external
def recordBatch(batchId: uint256, root: bytes32, sigs: DynArray[Bytes[65], MAX_MEMBERS]):
    assert root != empty(bytes32), "empty root"
    assert self.roots[batchId] == empty(bytes32), "already recorded"
    weight: uint256 = self._quorum(self._batchDigest(batchId, root), sigs)
    self.roots[batchId] = root
    log BatchRecorded(batchId=batchId, root=root, epoch=self.epoch, weight=weight)


@external
def rotateCommittee(members: DynArray[address, MAX_MEMBERS], weights: DynArray[uint256, MAX_MEMBERS], threshold: uint256, sigs: DynArray[Bytes[65], MAX_MEMBERS]):
    next: uint256 = self.epoch + 1
    self._quorum(self._rotationDigest(next, members, weights, threshold), sigs)
    self._install(next, members, weights, threshold)


@external
@nonreentrant
def claim(batchId: uint256, index: uint256, recipient: address, asset: address, amount: uint256, proof: DynArray[bytes32, MAX_PROOF]):
    root: bytes32 = self.roots[batchId]
    assert root != empty(bytes32), "unknown batch"
    assert index >> len(proof) == 0, "bad proof"
    word: uint256 = self.claimedBits[batchId][index >> 8]
    bit: uint256 = 1 << (index & 255)
    assert word & bit == 0, "already claimed"
    node: bytes32 = keccak256(concat(
        b"\x00", convert(batchId, bytes32), convert(index, bytes32), convert(KIND_EVM, bytes32),
        convert(convert(recipient, uint256), bytes32), convert(convert(asset, uint256), bytes32),
        convert(amount, bytes32)))
    position: uint256 = index
    for sibling: bytes32 in proof:
        if position & 1 == 0:
            node = keccak256(concat(b"\x01", node, sibling))
        else:
            node = keccak256(concat(b"\x01", sibling, node))
        position = position >> 1
    assert node == root, "bad proof"
    self.claimedBits[batchId][index >> 8] = word | bit
    log Claimed(batchId=batchId, index=index, recipient=recipient, asset=asset, amount=amount)
    if asset == empty(address):
        # all the gas, not send's 2,300 stipend: a contract wallet may need more to take ether.
        # Safe: the claim is marked first and claim is non-reentrant.
        raw_call(recipient, b"", value=amount)
    else:
        assert extcall IERC20(asset).transfer(recipient, amount, default_return_value=True), "token transfer failed"


@internal
def _install(epoch: uint256, members: DynArray[address, MAX_MEMBERS], weights: DynArray[uint256, MAX_MEMBERS], threshold: uint256):
    assert len(members) > 0 and len(members) == len(weights), "bad committee"
    total: uint256 = 0
    last: uint256 = 0
    for i: uint256 in range(len(members), bound=MAX_MEMBERS):
        member: uint256 = convert(members[i], uint256)
        assert member > last, "members not ascending"
        assert weights[i] > 0, "zero weight"
        self.weights[epoch][members[i]] = weights[i]
        total += weights[i]
        last = member
    # more than two thirds of the total, and reachable
    assert threshold * 3 > total * 2 and threshold <= total, "bad threshold"
    self.epoch = epoch
    self.threshold = threshold
    log CommitteeRotated(epoch=epoch, threshold=threshold, size=len(members))


@view
@internal
def _quorum(digest: bytes32, sigs: DynArray[Bytes[65], MAX_MEMBERS]) -> uint256:
    epoch: uint256 = self.epoch
    last: uint256 = 0
    weight: uint256 = 0
    for sig: Bytes[65] in sigs:
        assert len(sig) == 65, "bad signature length"
        r: uint256 = extract32(sig, 0, output_type=uint256)
        s: uint256 = extract32(sig, 32, output_type=uint256)
        v: uint256 = convert(slice(sig, 64, 1), uint256)
        assert v == 27 or v == 28, "bad v"
        assert s <= HALF_N, "high s"
        signer: address = ecrecover(digest, v, r, s)
        assert signer != empty(address), "bad signature"
        assert convert(signer, uint256) > last, "signers not ascending"
        member: uint256 = self.weights[epoch][signer]
        assert member > 0, "not a member"
        weight += member
        last = convert(signer, uint256)
    assert weight >= self.threshold, "below threshold"
    return weight


@view
@internal
def _eip191(inner: bytes32) -> bytes32:
    return keccak256(concat(b"\x19Ethereum Signed Message:\n32", inner))


@view
@internal
def _batchDigest(batchId: uint256, root: bytes32) -> bytes32:
    return self._eip191(keccak256(abi_encode(BATCH_TAG, chain.id, self, batchId, root)))


@view
@internal
def _rotationDigest(next: uint256, members: DynArray[address, MAX_MEMBERS], weights: DynArray[uint256, MAX_MEMBERS], threshold: uint256) -> bytes32:
    committee: bytes32 = keccak256(abi_encode(members, weights, threshold))
    return self._eip191(keccak256(abi_encode(ROTATE_TAG, chain.id, self, next, committee)))
