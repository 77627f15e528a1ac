import Foundation

/// CPU time and resident memory of a process, read from `/proc` (Linux; nil elsewhere or when the process is gone).
struct ProcessSample: Sendable {
    /// User plus system CPU seconds since the process started.
    var cpuSeconds: Double
    /// Resident set size in bytes.
    var residentBytes: Int
    /// When it was taken (monotonic seconds).
    var at: Double

    static func of(_ pid: Int32) -> ProcessSample? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm) ": field 3 (state) is index 0, utime (14) index 11, stime (15) index 12, rss (24) index 21.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]),
            let pages = Int(fields[21])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessSample(
            cpuSeconds: (user + system) / ticks, residentBytes: pages * Int(sysconf(Int32(_SC_PAGESIZE))),
            at: Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
    }

    /// CPU use between two samples as a percentage of one core (200 = two cores busy).
    static func cpuPercent(from start: ProcessSample?, to end: ProcessSample?) -> Double? {
        guard let start, let end, end.at > start.at else { return nil }
        return (end.cpuSeconds - start.cpuSeconds) / (end.at - start.at) * 100
    }
}
