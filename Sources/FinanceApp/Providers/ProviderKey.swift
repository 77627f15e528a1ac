/// One API key of a provider: the secret and its id, a stable hash prefix of the key (8 hex characters), which is
/// what logs, metrics, the usage log and the API show, and what persisted budgets are keyed by (so they survive
/// reordering the keys).
public struct ProviderKey: Sendable, Hashable, CustomStringConvertible {
    /// The id used for requests made without a key (key-free providers such as CoinGecko's public API).
    public static let keyFreeId = "public"

    public let id: String
    /// The secret; nil for key-free requests. Never logged, never returned.
    public let secret: String?

    public init(secret: String) {
        self.secret = secret
        self.id = Self.id(of: secret)
    }

    private init() {
        self.secret = nil
        self.id = Self.keyFreeId
    }

    /// The key-free "key".
    public static let keyFree = ProviderKey()

    /// The key with its secret masked, for listings: the id and the last 2 characters at most.
    public var masked: String {
        guard let secret else { return "(no key)" }
        return "\(self.id) (…\(secret.count >= 12 ? String(secret.suffix(2)) : ""))"
    }

    public var description: String { self.masked }

    /// A stable 32-bit digest of the key in hex: the first 8 hex characters of FNV-1a (64-bit) over its UTF-8 bytes.
    /// Stable across processes and versions (Swift's `hashValue` is seeded per process), and 32 bits of a hash say
    /// nothing usable about the key.
    static func id(of secret: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in secret.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash >> 32, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
