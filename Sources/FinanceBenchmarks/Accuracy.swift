/// One line of a benchmark table.
public struct AccuracyRow: Sendable, Hashable, Codable {
    public var type: String
    public var truths: Int
    public var detections: Int
    public var truePositives: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Precision when the "component" detections that `run` leaves out are counted as false positives.
    public var strictPrecision: Double?

    public init(type: String, truths: Int, detections: Int, truePositives: Int) {
        self.type = type
        self.truths = truths
        self.detections = detections
        self.truePositives = truePositives
        precision = detections == 0 ? 0 : Double(truePositives) / Double(detections)
        recall = truths == 0 ? 0 : Double(truePositives) / Double(truths)
        f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }

    /// `<type> precision <p> recall <r> f1 <f>` with three decimals.
    public var line: String {
        "\(type) precision \(accuracyFormat(precision)) recall \(accuracyFormat(recall)) f1 \(accuracyFormat(f1))"
    }
}

/// Formats a number with a fixed number of decimals (no Foundation).
public func accuracyFormat(_ x: Double, decimals: Int = 3) -> String {
    guard x.isFinite else { return "nan" }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let neg = x < 0
    let v = Int64((abs(x) * p).rounded())
    let ip = v / Int64(p)
    let fp = v % Int64(p)
    var f = String(fp)
    while f.count < decimals { f = "0" + f }
    return (neg && v != 0 ? "-" : "") + String(ip) + (decimals > 0 ? "." + f : "")
}
