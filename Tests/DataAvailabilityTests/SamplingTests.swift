import DataAvailability
import Primitives
import Testing

@Suite("Light-client sampling")
struct SamplingTests {
    @Test("sampling an available block succeeds with confidence 1 − (3/4)^s")
    func availableBlock() async throws {
        let committed = try Fixtures.committed(width: 4)
        let client = SamplingClient(dataRoot: committed.header.dataRoot)
        var random = SeededRandom(seed: 11)
        let report = try await client.sample(from: InMemoryShareSource(square: committed), count: 16, using: &random)
        #expect(report.coordinates.count == 16)
        #expect(Set(report.coordinates.map { $0.row * 8 + $0.column }).count == 16, "coordinates are distinct")
        #expect(abs(report.confidence - (1 - pow34(16))) < 1e-12)
        #expect(SamplingClient.confidence(samples: 0) == 0)
    }

    @Test("a source with roots of another block, or lying shares, fails clearly")
    func lyingSources() async throws {
        let committed = try Fixtures.committed(width: 4)
        let other = try Fixtures.committed(width: 4, seed: 3)
        var random = SeededRandom(seed: 1)
        await #expect(throws: DataAvailabilityError.self) {
            try await SamplingClient(dataRoot: other.header.dataRoot)
                .sample(from: InMemoryShareSource(square: committed), count: 4, using: &random)
        }
        do {
            _ = try await SamplingClient(dataRoot: committed.header.dataRoot)
                .sample(
                    from: SwappingShareSource(inner: InMemoryShareSource(square: committed)), count: 4, using: &random)
            Issue.record("a swapped share must not verify")
        } catch let error as DataAvailabilityError {
            guard case .invalidSample = error else { throw error }
        }
    }

    /// 400 clients with 15 samples each against a source withholding the (k+1)² corner: every
    /// client must catch it with probability ≥ 1 − (3/4)^15 ≈ 0.9866. Seeded, so the count is exact
    /// for this code; the bound allows three standard deviations of binomial noise.
    @Test("withholding a quarter of the square is detected at the stated confidence")
    func withholdingDetected() async throws {
        let committed = try Fixtures.committed(width: 8)
        let source = InMemoryShareSource.withholdingCorner(of: committed)
        #expect(source.withheld.count == 81)
        let clients = 400
        let samples = 15
        var detected = 0
        for seed in 0..<clients {
            var random = SeededRandom(seed: UInt64(seed))
            do {
                _ = try await SamplingClient(dataRoot: committed.header.dataRoot)
                    .sample(from: source, count: samples, using: &random)
            } catch DataAvailabilityError.shareUnavailable(let row, let column) {
                #expect(row <= 8 && column <= 8)
                detected += 1
            }
        }
        let confidence = SamplingClient.confidence(samples: samples)
        let expectedMisses = Double(clients) * (1 - confidence)
        let allowedMisses = expectedMisses + 3 * (expectedMisses * confidence).squareRoot()
        #expect(Double(clients - detected) <= allowedMisses, "detected \(detected) of \(clients)")
    }
}

/// (3/4)^n.
func pow34(_ count: Int) -> Double { (0..<count).reduce(1.0) { value, _ in value * 0.75 } }
