/// `GET /health`.
public struct HealthDTO: Codable, Sendable, Equatable {
    public var status: String
}

/// `GET /ready`.
public struct ReadinessDTO: Codable, Sendable, Equatable {
    public var status: String
    public var database: String
    public var schemaVersion: Int
    public var latestSchemaVersion: Int
}
