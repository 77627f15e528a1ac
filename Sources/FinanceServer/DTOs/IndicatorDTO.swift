import FinanceCore

/// One parameter of an indicator in the catalog.
public struct IndicatorParameterDTO: Codable, Sendable, Equatable {
    public var name: String
    public var kind: IndicatorParameterInfo.Kind
    public var defaultValue: Double
    public var minimum: Double
    public var maximum: Double

    enum CodingKeys: String, CodingKey {
        case name, kind
        case defaultValue = "default"
        case minimum = "min"
        case maximum = "max"
    }

    public init(_ p: IndicatorParameterInfo) {
        self.name = p.name
        self.kind = p.kind
        self.defaultValue = p.defaultValue
        self.minimum = p.minimum
        self.maximum = p.maximum
    }
}

/// A catalog entry of `GET /api/indicators`.
public struct IndicatorInfoDTO: Codable, Sendable, Equatable {
    public var key: String
    public var description: String
    public var inputs: [String]
    public var parameters: [IndicatorParameterDTO]
    public var outputs: [String]
    public var lookback: String
    public var streamingCost: String

    public init(_ info: IndicatorInfo) {
        self.key = info.key
        self.description = info.description
        self.inputs = info.inputs
        self.parameters = info.parameters.map(IndicatorParameterDTO.init)
        self.outputs = info.outputs
        self.lookback = info.lookback
        self.streamingCost = info.streamingCost
    }
}

/// `GET /api/indicators`.
public struct IndicatorCatalogDTO: Codable, Sendable, Equatable {
    public var indicators: [IndicatorInfoDTO]
}

/// `GET /api/indicators/{symbol}`: one array of values (null where undefined) per output column.
public struct IndicatorValuesDTO: Codable, Sendable, Equatable {
    public var symbol: String
    public var interval: String
    public var ts: [Int64]
    public var values: [String: [Double?]]
}
