import Foundation

/// What one run of `bench ws` measured.
struct WSLoadRunResult: Sendable {
    var published: WSLoadPublisher.Outcome
    var publishSeconds: Double
    /// Ticks accepted × clients of their symbol.
    var expected: Int
    var seen: WSLoadRecorder.Snapshot
    /// From the run's start to the last message counted.
    var receiveSeconds: Double
    /// Clients connected at the end, and those that received every tick of their symbol.
    var clients: Int
    var completeClients: Int
    /// CPU of the tool and of the server over the run, in % of one core.
    var toolCPU: Double?
    var serverCPU: Double?
    /// The server's resident memory at the run's start and end (bytes).
    var serverRSS: (start: Int?, end: Int?)
    var toolRSS: Int?

    var delivered: Int { self.seen.total }
    var deliveredPerSecond: Double { Double(self.delivered) / self.receiveSeconds }
    var ticksPerSecond: Double { Double(self.published.accepted) / max(self.publishSeconds, 0.001) }
    var ratio: Double { self.expected == 0 ? 0 : Double(self.delivered) / Double(self.expected) }
    /// Latency percentile `p` (0...100) in milliseconds.
    func latency(_ p: Double) -> Double { Double(self.seen.latency.valueAtPercentile(p)) / 1_000 }
    var maxLatency: Double { Double(self.seen.latency.max) / 1_000 }
    /// Connections closed by the server during the run, by close code.
    var closeCodes: [UInt16: Int] {
        self.seen.closed.values.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
}

/// The result table of `bench ws` on stdout: one row per run, then the best run.
enum WSLoadReport {
    static let header = [
        "run", "ticks/s", "msgs/s", "delivered/expected", "ratio", "complete", "p50 ms", "p99 ms", "max ms",
        "tool cpu", "server cpu", "server rss MiB",
    ]

    static func row(_ label: String, _ r: WSLoadRunResult) -> [String] {
        func percent(_ v: Double?) -> String { v.map { String(format: "%.0f%%", $0) } ?? "-" }
        func mebibytes(_ v: Int?) -> String { v.map { String($0 >> 20) } ?? "-" }
        return [
            label, String(format: "%.0f", r.ticksPerSecond), String(format: "%.0f", r.deliveredPerSecond),
            "\(r.delivered)/\(r.expected)", String(format: "%.5f", r.ratio), "\(r.completeClients)/\(r.clients)",
            String(format: "%.2f", r.latency(50)), String(format: "%.2f", r.latency(99)),
            String(format: "%.2f", r.maxLatency), percent(r.toolCPU), percent(r.serverCPU),
            "\(mebibytes(r.serverRSS.start)) -> \(mebibytes(r.serverRSS.end))",
        ]
    }

    /// The best run: the highest delivered rate when publishing as fast as possible, else the lowest p99.
    static func best(_ runs: [WSLoadRunResult], asFastAsPossible: Bool) -> Int? {
        guard !runs.isEmpty else { return nil }
        if asFastAsPossible {
            return runs.indices.max { runs[$0].deliveredPerSecond < runs[$1].deliveredPerSecond }
        }
        return runs.indices.min { runs[$0].latency(99) < runs[$1].latency(99) }
    }

    /// Padded columns.
    static func table(_ rows: [[String]]) -> String {
        var widths = Array(repeating: 0, count: Self.header.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        return rows.map { row in
            var line = row.enumerated().map { column, cell in
                cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }

    /// Notes under the table: failures, closes and frames that were not counted.
    static func notes(_ runs: [WSLoadRunResult]) -> [String] {
        var notes: [String] = []
        for (index, r) in runs.enumerated() {
            var parts: [String] = []
            if r.published.failedPosts > 0 {
                parts.append(
                    "\(r.published.failedPosts) POSTs failed (\(r.published.failedTicks) ticks not expected): "
                        + (r.published.firstError ?? ""))
            }
            if r.published.unconfirmedPosts > 0 {
                parts.append("\(r.published.unconfirmedPosts) POSTs sent but not answered (their ticks still expected)")
            }
            if r.published.laggedBatches > 0 { parts.append("\(r.published.laggedBatches) batches sent late") }
            let codes = r.closeCodes.sorted { $0.key < $1.key }.map { "\($0.value) × close \($0.key)" }
            if !codes.isEmpty { parts.append("connections closed: " + codes.joined(separator: ", ")) }
            if r.seen.other > 0 { parts.append("\(r.seen.other) other frames") }
            if r.seen.preStart > 0 { parts.append("\(r.seen.preStart) price messages older than the run") }
            if !parts.isEmpty { notes.append("run \(index + 1): " + parts.joined(separator: "; ")) }
        }
        return notes
    }
}
