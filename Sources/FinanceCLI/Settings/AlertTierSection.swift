import FinanceApp
import FinanceCore
import FinanceServer

/// `alerts.tiers.<tier>.*`: the alert quota of one tier (free, pro, enterprise).
enum AlertTierSection {
    static let maxAlerts = SettingKey(
        "maxAlerts", .int(0...10_000_000), default: "per tier",
        doc: "alerts one user may have (creating one more is 422)")
    static let section = SettingsSection(
        "alerts.tiers.<tier>", names: .fixed(UserTier.allCases.map(\.rawValue)), keys: [maxAlerts])

    /// Reads every configured tier into `settings`.
    static func read(_ reader: SettingsReader, into settings: inout AlertQuotaSettings) {
        for name in reader.instances(of: Self.section) {
            guard let tier = UserTier(rawValue: name) else { continue }
            if let n = reader.section(Self.section, instance: name).int(Self.maxAlerts) { settings.maxAlerts[tier] = n }
        }
    }
}
