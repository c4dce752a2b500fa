public import Primitives

/// Verifying committed blocks received from a peer while catching up (`SyncResponse`).
///
/// The blocks are final if they extend the local committed tip link by link and the certificate
/// finalizes the last of them: the parent links fix every ancestor.
public enum ChainSync {
    /// Checks `response` against the local committed tip.
    /// - Parameters:
    ///   - tip: the last block this validator committed.
    ///   - validators: the validator set of an epoch, or nil if it is not known here.
    /// - Throws: `ChainSyncError` naming what does not hold.
    public static func verify(
        _ response: SyncResponse,
        extending tip: BlockHeader,
        validators: (UInt64) -> ValidatorSet?
    ) throws(ChainSyncError) {
        guard let last = response.blocks.last else { throw .empty }
        var parent = tip
        var parentID = tip.id
        for block in response.blocks {
            let header = block.header
            guard header.chainId == tip.chainId else { throw .wrongChain(header.chainId) }
            guard header.parentID == parentID, header.height == parent.height + 1 else {
                throw .notContiguous(height: header.height)
            }
            guard header.epoch == parent.epoch || header.epoch == parent.epoch + 1 else {
                throw .epochJump(height: header.height)
            }
            parent = header
            parentID = block.id
        }
        guard let epoch = response.certificate.child?.epoch else { throw .certificate(.notAChild) }
        guard let set = validators(epoch) else { throw .unknownValidatorSet(epoch: epoch) }
        do {
            try response.certificate.verify(finalizes: last.header, validators: set, genesisID: parentID)
        } catch {
            throw .certificate(error)
        }
    }
}

/// Why a sync response was refused.
public enum ChainSyncError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case wrongChain(String)
    case notContiguous(height: UInt64)
    case epochJump(height: UInt64)
    case unknownValidatorSet(epoch: UInt64)
    case certificate(CertificateError)

    public var description: String {
        switch self {
        case .empty: "the sync response has no blocks"
        case .wrongChain(let chain): "a synced block belongs to chain \(chain)"
        case .notContiguous(let height): "synced block at height \(height) does not extend the previous one"
        case .epochJump(let height): "synced block at height \(height) skips an epoch"
        case .unknownValidatorSet(let epoch): "the validator set of epoch \(epoch) is not known here"
        case .certificate(let error): "the commit certificate does not verify: \(error)"
        }
    }
}
