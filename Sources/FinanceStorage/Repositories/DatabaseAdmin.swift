/// The database itself: its name, schema migrations, liveness and closing. Every driver implements it.
public protocol DatabaseAdmin: Sendable {
    /// A description safe to print (no passwords), e.g. `sqlite:./data/financehub.sqlite`.
    var displayName: String { get }
    /// Applies pending migrations (idempotent); returns how many were applied.
    func migrate() async throws -> Int
    /// The schema version applied and the latest this build knows.
    func schemaVersion() async throws -> SchemaVersion
    /// Checks the database answers.
    func ping() async throws
    /// Releases connections and files.
    func close() async throws
}
