/// The sections a program reads: the one list that the unknown-key check, the unknown-variable warning, secret
/// marking and the docs test consult.
struct SettingsCatalog: Sendable {
    let sections: [SettingsSection]

    /// A catalog of `sections`.
    init(_ sections: [SettingsSection]) { self.sections = sections }

    /// The section and declared key that a dotted key names, with the placeholder's instance.
    func match(key: String) -> (section: SettingsSection, key: SettingKey, instance: String?)? {
        let components = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for section in self.sections {
            if let found = section.match(components) { return (section, found.key, found.instance) }
        }
        return nil
    }

    /// The section and declared key that a `FINANCEHUB_*` variable names, with the placeholder's instance.
    func match(environmentVariable variable: String) -> (
        section: SettingsSection, key: SettingKey, instance: String?
    )? {
        guard variable.hasPrefix(EnvironmentNames.prefix) else { return nil }
        let name = String(variable.dropFirst(EnvironmentNames.prefix.count))
        for section in self.sections {
            if let found = section.match(environmentName: name) { return (section, found.key, found.instance) }
        }
        return nil
    }

    /// Every declared key as docs/configuration.md names it (`http.port`, `providers.<name>.baseUrl`).
    var keyNames: [String] { self.sections.flatMap { section in section.keys.map { section.fullName($0) } } }
}
