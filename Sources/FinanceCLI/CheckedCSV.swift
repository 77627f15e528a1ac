import FinanceCore

/// Reading a CSV file for a command: the problems of rows that do not parse and the rule problems of the rows that
/// do are reported together, in line order, so one run lists everything there is to fix.
enum CheckedCSV {
    /// The file's parsed rows, once `check` (the rules, on the rows that parsed) finds nothing and every row parsed.
    /// `check` returns problems with row indices into the columns it is given; the failure names file lines.
    static func read(
        _ bytes: [UInt8], path: String, required: [String], optional: [String] = [],
        progress: ((Int) -> Void)? = nil, check: (CSVColumns) -> [ValidationIssue]
    ) throws -> CSVColumns {
        let parsed: (columns: CSVColumns, problems: CSVError?)
        do {
            parsed = try CSVReader.parseRows(bytes, required: required, optional: optional, progress: progress)
        } catch let error as CSVError {
            throw CLIFailure("\(path): \(error.description)")
        }
        let rules = check(parsed.columns)
        guard parsed.problems != nil || !rules.isEmpty else { return parsed.columns }
        var found = parsed.problems?.issues ?? []
        for issue in rules {
            // The file's column is `timestamp` where the API's field is `ts`.
            found.append(
                CSVIssue(
                    line: issue.index.map { parsed.columns.lines[$0] } ?? 0,
                    column: issue.field == "ts" ? "timestamp" : issue.field, detail: issue.detail))
        }
        let shown = found.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .prefix(CSVReader.maxIssues).map(\.element)
        let all = CSVError(issues: Array(shown), total: (parsed.problems?.total ?? 0) + rules.count)
        throw CLIFailure("\(path): \(all.description)")
    }

    /// Problems of the rows whose time goes back from the previous row's or, with `strictly`, does not move forward
    /// (indices into `timestamps`, the field `ts`, as `read`'s `check` returns them).
    static func timeOrderIssues(_ timestamps: [Int64], strictly: Bool) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for i in timestamps.indices.dropFirst()
        where strictly ? timestamps[i] <= timestamps[i - 1] : timestamps[i] < timestamps[i - 1] {
            let previous = Timestamp.iso8601(timestamps[i - 1])
            issues.append(
                ValidationIssue(
                    index: i, field: "ts",
                    detail: strictly
                        ? "is not after the previous row's (\(previous)): sort the file by time and keep one row per time"
                        : "is before the previous row's (\(previous)): sort the file by time"))
        }
        return issues
    }
}
