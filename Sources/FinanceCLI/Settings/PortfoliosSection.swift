import FinanceApp

/// `portfolios.*`: portfolio value snapshots.
enum PortfoliosSection {
    static let snapshotSeconds = SettingKey(
        "snapshotSeconds", .int(10...86_400), default: String(PortfolioSettings().snapshotSeconds),
        doc:
            "how often every portfolio's value is recorded for its history (and portfolios and sector members are read again)"
    )
    static let section = SettingsSection("portfolios", keys: [snapshotSeconds])

    /// Reads the section into `settings`.
    static func read(_ r: SectionReader, into settings: inout PortfolioSettings) {
        if let n = r.int(Self.snapshotSeconds) { settings.snapshotSeconds = n }
    }
}
