/// Errors from stores, with no HTTP in them (the server maps them).
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The named thing does not exist.
    case notFound(String)
    /// The thing exists already.
    case conflict(String)
    /// The schema is older than this build: run `financehub migrate`.
    case schemaBehind(current: Int, latest: Int)
    /// The schema is newer than this build knows.
    case schemaAhead(current: Int, latest: Int)
    /// A bad database location or option.
    case invalidConfiguration(String)
    /// The database failed; the message never carries secrets.
    case backend(String)

    public var description: String {
        switch self {
        case .notFound(let what): return "\(what) not found"
        case .conflict(let what): return "\(what) already exists"
        case .schemaBehind(let current, let latest):
            return "the database schema is at version \(current) but this build needs \(latest): run financehub migrate"
        case .schemaAhead(let current, let latest):
            return "the database schema is at version \(current), newer than this build (\(latest))"
        case .invalidConfiguration(let message): return message
        case .backend(let message): return "database error: \(message)"
        }
    }
}
