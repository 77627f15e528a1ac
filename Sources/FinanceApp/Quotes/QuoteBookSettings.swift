/// Settings of the quote book (`quotes.*`).
public struct QuoteBookSettings: Sendable, Equatable {
    /// Most symbols whose quotes are held in memory; beyond it the least recently used is dropped.
    public var maxSymbols: Int
    /// How old a held quote may get before it is read from the store again (bounds how long a write made by
    /// another process, such as a CLI import or another instance, takes to show).
    public var maxAgeMilliseconds: Int64

    public init(maxSymbols: Int = 10_000, maxAgeMilliseconds: Int64 = 1_000) {
        self.maxSymbols = max(1, maxSymbols)
        self.maxAgeMilliseconds = max(0, maxAgeMilliseconds)
    }
}
