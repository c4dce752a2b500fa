public import EVM
public import EVMClient
internal import Foundation
public import Primitives
public import Settlement

/// Deploys the EVM settlement contract (`Bridge/Contracts/build/BatchSettlement.bin`) with a committee.
public enum SettlementDeployer {
    /// The compiled contract in a hex file (`0x` optional, whitespace ignored).
    /// - Throws: `BatchFileError` when the file is missing or not hex.
    public static func bytecode(path: String) throws(BatchFileError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw BatchFileError("cannot read \(path)") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = try? Hex.decode(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text), !bytes.isEmpty
        else {
            throw BatchFileError("\(path) is not hex bytecode")
        }
        return bytes
    }

    /// Deploys `bytecode` with `members` (address and weight, in any order: they are sorted as the
    /// contract requires) and `threshold` (default: just above two thirds); returns the receipt.
    public static func deploy(
        _ bytecode: [UInt8], members: [(address: EthereumAddress, weight: UInt64)], threshold: UInt64? = nil,
        with transactor: EVMTransactor
    ) async throws(EVMSendError) -> EVMReceipt {
        let sorted = members.sorted { $0.address < $1.address }
        let total = sorted.reduce(UInt64(0)) { $0 + $1.weight }
        let arguments = try! ABI.encode(
            [
                .array(sorted.map { .address($0.address) }), .array(sorted.map { .uint(UInt256($0.weight)) }),
                .uint(UInt256(threshold ?? Committee.twoThirdsThreshold(totalWeight: total))),
            ], as: EVMAttestation.committeeTypes)
        return try await transactor.send(to: nil, data: bytecode + arguments)
    }
}
