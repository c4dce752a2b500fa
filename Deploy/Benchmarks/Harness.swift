import Foundation

/// One measured figure, with the baseline measured in the same run and their ratio.
public struct BenchmarkRow: Sendable {
    /// What was measured ("Ed25519 sign").
    public var name: String
    /// Our figure.
    public var value: Double
    /// Its unit ("ops/s", "MB/s", "ms").
    public var unit: String
    /// What the baseline is ("libsodium crypto_sign_detached, called directly").
    public var baselineName: String
    /// The baseline's figure, in the same unit.
    public var baselineValue: Double?
    /// True when a larger value is better (rates); false for times.
    public var higherIsBetter: Bool
    /// The target the issue sets, as text ("≥ 0.95", "≥ 0.8").
    public var target: String?
    /// The smallest acceptable ratio, when the target is a ratio.
    public var minimumRatio: Double?
    /// The value to reach (at least, or at most when lower is better), when the target is absolute.
    public var valueTarget: Double?

    /// Ours relative to the baseline: > 1 means we are faster.
    public var ratio: Double? {
        guard let baselineValue, baselineValue > 0, value > 0 else { return nil }
        return higherIsBetter ? value / baselineValue : baselineValue / value
    }

    /// Whether the figure meets the target (nil when there is no target).
    public var meetsTarget: Bool? {
        if let valueTarget { return higherIsBetter ? value >= valueTarget : value <= valueTarget }
        guard let minimumRatio, let ratio else { return nil }
        return ratio >= minimumRatio
    }
}

/// The result of one `aether bench <suite>` run.
public struct BenchmarkReport: Sendable {
    /// The suite's name.
    public var suite: String
    /// The machine it ran on.
    public var machine: String
    /// Repeats per figure (each figure is the median of these).
    public var repeats: Int
    /// The figures.
    public var rows: [BenchmarkRow]

    /// A fixed-width table for people.
    public func table() -> String {
        var lines = ["aether bench \(suite) — \(machine); median of \(repeats) interleaved runs", ""]
        let header = ["measurement", "ours", "baseline", "ratio", "target"]
        var cells = [header]
        for row in rows {
            cells.append([
                row.name,
                "\(Self.format(row.value)) \(row.unit)",
                row.baselineValue.map { "\(Self.format($0)) \(row.unit)  (\(row.baselineName))" } ?? row.baselineName,
                row.ratio.map { String(format: "%.2f", $0) } ?? "-",
                row.target.map { "\($0) \(row.meetsTarget == false ? "MISSED" : "met")" } ?? "",
            ])
        }
        let widths = (0..<header.count).map { column in cells.map { $0[column].count }.max() ?? 0 }
        for (index, row) in cells.enumerated() {
            lines.append(
                zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            if index == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        return lines.joined(separator: "\n")
    }

    /// The report as one JSON object.
    public func json() -> String {
        func string(_ text: String) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: [text], options: [])) ?? Data("[\"\"]".utf8)
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        }
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return String(format: "%.6g", value)
        }
        let rowTexts = rows.map { row in
            "{\"name\": \(string(row.name)), \"value\": \(number(row.value)), \"unit\": \(string(row.unit)), "
                + "\"baseline\": \(string(row.baselineName)), \"baselineValue\": \(number(row.baselineValue)), "
                + "\"ratio\": \(number(row.ratio)), \"target\": \(row.target.map(string) ?? "null"), "
                + "\"meetsTarget\": \(row.meetsTarget.map { $0 ? "true" : "false" } ?? "null")}"
        }
        return "{\"suite\": \(string(suite)), \"machine\": \(string(machine)), \"repeats\": \(repeats), "
            + "\"rows\": [\(rowTexts.joined(separator: ", "))]}"
    }

    static func format(_ value: Double) -> String {
        switch value {
        case 1_000_000...: String(format: "%.2fM", value / 1_000_000)
        case 10_000...: String(format: "%.1fk", value / 1_000)
        case 100...: String(format: "%.0f", value)
        case 1...: String(format: "%.2f", value)
        default: String(format: "%.4f", value)
        }
    }
}

/// Times closures with the monotonic clock; figures are medians of interleaved repeats so that
/// noise from other processes on a shared machine hits ours and the baseline alike.
struct Stopwatch {
    let repeats: Int

    /// Seconds for one call of `body`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Median seconds of `ours` and `baseline`, run alternately `repeats` times after one warm-up each.
    func compare(_ ours: () throws -> Void, _ baseline: () throws -> Void) rethrows -> (ours: Double, baseline: Double)
    {
        try ours()
        try baseline()
        var oursTimes: [Double] = []
        var baselineTimes: [Double] = []
        for _ in 0..<repeats {
            oursTimes.append(try Self.time(ours))
            baselineTimes.append(try Self.time(baseline))
        }
        return (median(oursTimes), median(baselineTimes))
    }

    /// Median seconds of `body` over `repeats` runs after one warm-up.
    func measure(_ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<repeats { times.append(try Self.time(body)) }
        return median(times)
    }
}

/// The median of `values` (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// A short description of this machine: CPU model, core count, OS.
func machineDescription() -> String {
    var model = "unknown CPU"
    if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
        let name = line.split(separator: ":", maxSplits: 1).last
    {
        model = name.trimmingCharacters(in: .whitespaces)
    }
    return
        "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)"
}
