/// A problem on one line of a CSV file (line 0: the file as a whole).
public struct CSVIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: String
    public var detail: String
    public init(line: Int, column: String, detail: String) {
        self.line = line
        self.column = column
        self.detail = detail
    }
    public var description: String {
        "\(self.line == 0 ? "file" : "line \(self.line)")\(self.column.isEmpty ? "" : ", \(self.column)"): \(self.detail)"
    }
}

/// A CSV file that failed to parse, with every problem found (the first `maxIssues` of them kept).
public struct CSVError: Error, Sendable, CustomStringConvertible {
    public var issues: [CSVIssue]
    public var total: Int
    public init(issues: [CSVIssue], total: Int) {
        self.issues = issues
        self.total = total
    }
    public var description: String {
        let shown = self.issues.map(\.description).joined(separator: "\n  ")
        return "\(self.total) problem\(self.total == 1 ? "" : "s") in the file:\n  \(shown)"
            + (self.total > self.issues.count ? "\n  ... and \(self.total - self.issues.count) more" : "")
    }
}

/// Columns read from a CSV file, with a header row naming each column.
public struct CSVColumns: Sendable {
    /// Header names, lower-cased.
    public var header: [String]
    /// Timestamps (milliseconds) of the `timestamp` column.
    public var timestamps: [Int64]
    /// Numeric columns by header name; empty cells are NaN in optional columns.
    public var numbers: [String: [Double]]
    /// One-based file line of each row (for error messages).
    public var lines: [Int]

    public var count: Int { self.timestamps.count }
}

/// A fast reader for numeric CSV files whose first column is a timestamp by the time rule.
public enum CSVReader {
    /// The most problems kept for a report.
    public static let maxIssues = 20

    /// Parses `bytes`. `required` columns must be in the header and non-empty on every row; `optional` ones may be
    /// missing or empty (NaN). The timestamp column is `timestamp` (aliases `ts`, `time`, `date`).
    public static func parse(
        _ bytes: [UInt8], required: [String], optional: [String] = [], progress: ((Int) -> Void)? = nil
    )
        throws -> CSVColumns
    {
        let (columns, problems) = try self.parseRows(
            bytes, required: required, optional: optional, progress: progress)
        if let problems { throw problems }
        return columns
    }

    /// Parses `bytes` like `parse`, but returns the rows that parsed together with the problems of the others
    /// (nil when there are none), so a caller can check the good rows and report every problem at once. A file
    /// without a usable header still throws.
    public static func parseRows(
        _ bytes: [UInt8], required: [String], optional: [String] = [], progress: ((Int) -> Void)? = nil
    ) throws -> (columns: CSVColumns, problems: CSVError?) {
        try bytes.withUnsafeBufferPointer { buf in
            try parse(buf, required: required, optional: optional, progress: progress)
        }
    }

    /// The column names of a CSV file's header (its first line), as `parse` reads them: unquoted, trimmed and
    /// lower-cased; empty for an empty file.
    public static func header(_ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBufferPointer { buf in
            var pos = self.start(buf)
            guard let range = self.nextLine(buf, &pos) else { return [] }
            return self.names(UnsafeBufferPointer(rebasing: buf[range]))
        }
    }

    /// Where the text starts: after a UTF-8 byte-order mark, if any.
    static func start(_ buf: UnsafeBufferPointer<UInt8>) -> Int {
        buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0
    }

    /// The line starting at `pos` without its ending, moving `pos` past it (nil at the end). A line ends with
    /// `\n`, `\r\n` or a lone `\r` (classic Mac OS files).
    static func nextLine(_ buf: UnsafeBufferPointer<UInt8>, _ pos: inout Int) -> Range<Int>? {
        let n = buf.count
        guard pos < n else { return nil }
        let start = pos
        while pos < n, buf[pos] != 10, buf[pos] != 13 { pos += 1 }
        let end = pos
        if pos < n {
            pos += buf[pos] == 13 && pos + 1 < n && buf[pos + 1] == 10 ? 2 : 1
        }
        return start..<end
    }

    /// Header names: split on commas, spaces and double quotes trimmed, lower-cased.
    static func names(_ line: UnsafeBufferPointer<UInt8>) -> [String] {
        String(decoding: line, as: UTF8.self)
            .split(separator: ",", omittingEmptySubsequences: false)
            .map {
                String($0.drop { $0 == " " || $0 == "\"" }.reversed().drop { $0 == " " || $0 == "\"" }.reversed())
                    .lowercased()
            }
    }

    static func parse(
        _ buf: UnsafeBufferPointer<UInt8>, required: [String], optional: [String], progress: ((Int) -> Void)?
    ) throws -> (columns: CSVColumns, problems: CSVError?) {
        var pos = self.start(buf)
        let n = buf.count
        func nextLine() -> Range<Int>? { self.nextLine(buf, &pos) }
        guard let headerRange = nextLine() else {
            throw CSVError(
                issues: [CSVIssue(line: 1, column: "", detail: "the file is empty; expected a header row")], total: 1)
        }
        let header = self.names(UnsafeBufferPointer(rebasing: buf[headerRange]))
        let timeAliases = ["timestamp", "ts", "time", "date", "datetime"]
        guard let timeIndex = header.firstIndex(where: { timeAliases.contains($0) }) else {
            throw CSVError(
                issues: [
                    CSVIssue(
                        line: 1, column: "timestamp",
                        detail:
                            "the header has no timestamp column (got \(Echo.text(header.joined(separator: ","), limit: 100)))"
                    )
                ], total: 1)
        }
        let missing = required.filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw CSVError(
                issues: [
                    CSVIssue(
                        line: 1, column: missing[0],
                        detail:
                            "the header lacks \(missing.joined(separator: ", ")) (got \(Echo.text(header.joined(separator: ","), limit: 100)))"
                    )
                ], total: 1)
        }
        // Column index → (name, slot, required).
        var slots: [(column: Int, name: String, required: Bool)] = []
        for name in required { slots.append((header.firstIndex(of: name)!, name, true)) }
        for name in optional { if let c = header.firstIndex(of: name) { slots.append((c, name, false)) } }
        var slotOfColumn = [Int](repeating: -1, count: header.count)
        for (k, s) in slots.enumerated() { slotOfColumn[s.column] = k }

        let estimate = max(16, n / max(headerRange.count + 1, 24))
        var timestamps: [Int64] = []
        timestamps.reserveCapacity(estimate)
        var values = [[Double]](repeating: [], count: slots.count)
        for k in values.indices { values[k].reserveCapacity(estimate) }
        var lines: [Int] = []
        lines.reserveCapacity(estimate)
        var issues: [CSVIssue] = []
        var total = 0
        var lineNumber = 1
        func report(_ issue: CSVIssue) {
            total += 1
            if issues.count < maxIssues { issues.append(issue) }
        }
        var rowValues = [Double](repeating: .nan, count: slots.count)
        while let range = nextLine() {
            lineNumber += 1
            if range.isEmpty { continue }
            var column = 0
            var start = range.lowerBound
            var ts: Int64?
            var ok = true
            for k in rowValues.indices { rowValues[k] = .nan }
            var seen = 0
            var idx = range.lowerBound
            while true {
                let atEnd = idx == range.upperBound
                if atEnd || buf[idx] == UInt8(ascii: ",") {
                    var a = start
                    var b = idx
                    while a < b, buf[a] == 32 || buf[a] == 34 { a += 1 }
                    while b > a, buf[b - 1] == 32 || buf[b - 1] == 34 { b -= 1 }
                    let cell = UnsafeBufferPointer(rebasing: buf[a..<b])
                    if column == timeIndex {
                        ts = Timestamp.parse(utf8: cell)
                        if ts == nil {
                            report(
                                CSVIssue(
                                    line: lineNumber, column: header[column],
                                    detail: "not a valid time: '\(Echo.bytes(cell, limit: 40))'"))
                            ok = false
                        }
                    } else if column < slotOfColumn.count, slotOfColumn[column] >= 0 {
                        let slot = slotOfColumn[column]
                        seen += 1
                        if cell.isEmpty {
                            if slots[slot].required {
                                report(
                                    CSVIssue(line: lineNumber, column: header[column], detail: "a value is required"))
                                ok = false
                            }
                        } else if let v = FastNumber.double(cell), v.isFinite {
                            rowValues[slot] = v
                        } else {
                            report(
                                CSVIssue(
                                    line: lineNumber, column: header[column],
                                    detail: "not a finite number: '\(Echo.bytes(cell, limit: 40))'"
                                ))
                            ok = false
                        }
                    }
                    column += 1
                    start = idx + 1
                    if atEnd { break }
                }
                idx += 1
            }
            if column < header.count, column <= max(timeIndex, slots.filter(\.required).map(\.column).max() ?? 0) {
                report(CSVIssue(line: lineNumber, column: "", detail: "expected \(header.count) fields, got \(column)"))
                ok = false
            }
            guard ok, let ts else { continue }
            timestamps.append(ts)
            for k in values.indices { values[k].append(rowValues[k]) }
            lines.append(lineNumber)
            if let progress, timestamps.count % 250_000 == 0 { progress(timestamps.count) }
        }
        var numbers: [String: [Double]] = [:]
        for (k, s) in slots.enumerated() { numbers[s.name] = values[k] }
        return (
            CSVColumns(header: header, timestamps: timestamps, numbers: numbers, lines: lines),
            total > 0 ? CSVError(issues: issues, total: total) : nil
        )
    }
}
