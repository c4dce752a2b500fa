import ChainPeers
import EVM
import Primitives
import Relayer
import Settlement
import Storage
import Testing

@Suite("Batch files and relayer progress")
struct BatchFileTests {
    static let deployment = EVMDeployment(
        chainId: 31_337, contract: try! EthereumAddress(parsing: "0x5fbdb2315678afecb367f032d93f642f64180aa3"))

    @Test("a signed batch file round-trips, and every malformed field is named")
    func roundTrip() throws {
        let batches = try (1...3).map { id in
            AttestedBatch.sign(
                try SettlementFixture.batch(id: UInt64(id), count: id, seed: UInt64(id)),
                keys: Array(SettlementFixture.committeeKeys.prefix(3)), deployments: [Self.deployment])
        }
        let bytes = BatchFile.encode(batches)
        #expect(try BatchFile.parse(bytes) == batches)

        let cases: [(String, String)] = [
            ("{}", "no \"batches\" array"),
            ("not json", "not JSON"),
            (#"{"batches":[{"batchId":7,"sourceDomain":0,"payouts":[]}]}"#, "batchId must be a decimal string"),
            (#"{"batches":[{"batchId":"7","sourceDomain":0,"payouts":[]}]}"#, "a batch has 1"),
            (
                #"{"batches":[{"batchId":"7","sourceDomain":0,"payouts":[{"kind":"evm","recipient":"0x01","amount":"5"}]}]}"#,
                "recipient"
            ),
            (
                #"{"batches":[{"batchId":"7","sourceDomain":0,"payouts":[{"kind":"btc","recipient":"0x01","amount":"5"}]}]}"#,
                "kind must be"
            ),
            (
                #"{"batches":[{"batchId":"7","sourceDomain":0,"payouts":[{"kind":"evm","recipient":"0x1111111111111111111111111111111111111111","amount":"-5"}]}]}"#,
                "amount must be a decimal string"
            ),
            (
                #"{"batches":[{"batchId":"7","sourceDomain":0,"payouts":[{"kind":"evm","recipient":"0x1111111111111111111111111111111111111111","amount":"5"}],"attestations":{"evm":[{"chainId":1,"contract":"0x1111111111111111111111111111111111111111","signatures":["0x00"]}]}}]}"#,
                "not 65 bytes"
            ),
        ]
        for (text, expected) in cases {
            do {
                _ = try BatchFile.parse(Array(text.utf8))
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(expected), "\(error) should mention \(expected)")
            }
        }
        let twice = BatchFile.encode([batches[0], batches[0]])
        #expect(throws: BatchFileError.self) { try BatchFile.parse(twice) }
    }

    @Test("progress records round-trip through the store and refuse garbage")
    func progress() throws {
        let store = RelayerStore(store: MemoryStore(columns: [.default, RelayerStore.column]))
        let values: [TargetProgress] = [
            .sent(nonce: 4, hashes: [Hashing.keccak256([1]), Hashing.keccak256([2])]),
            .settled(transaction: "0x" + Hashing.keccak256([3]).hex, block: 99),
            .submitted(
                expiresAt: 7,
                transactionIds: [
                    "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"
                ], latest: [1, 2, 3]), .settled(transaction: nil, block: 1),
            .failed("below the threshold"),
        ]
        for (index, value) in values.enumerated() {
            try store.record(value, target: "evm:1:x", batchId: UInt64(index))
            #expect(try store.progress(target: "evm:1:x", batchId: UInt64(index)) == value)
            #expect(try store.progress(target: "evm:2:x", batchId: UInt64(index)) == nil)
        }
        #expect(throws: CodecError.self) { try Canonical.decode(TargetProgress.self, from: [9]) }
        #expect(throws: CodecError.self) { try Canonical.decode(TargetProgress.self, from: [0, 1, 2]) }
    }
}
