import Foundation

/// Reads declared keys from the layers and collects every problem, named by key and never by value, so that all
/// of them are reported at once.
final class SettingsReader {
    let sources: SettingsSources
    let catalog: SettingsCatalog
    private(set) var problems: [String] = []

    /// A reader of `sources`; keys set on the command line or in the config file that `catalog` does not declare
    /// are the first problems.
    init(sources: SettingsSources, catalog: SettingsCatalog) {
        self.sources = sources
        self.catalog = catalog
        // A misspelt key would otherwise be ignored silently and its default used.
        for layer in sources.setKeys {
            let unknown = layer.keys.filter { catalog.match(key: $0) == nil }
            guard !unknown.isEmpty else { continue }
            let known = catalog.keyNames.joined(separator: ", ")
            self.problems.append(
                "\(layer.origin): unknown key\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")) (known: \(known))"
            )
        }
    }

    /// A reader of one section, or of one instance of a patterned section.
    func section(_ section: SettingsSection, instance: String? = nil) -> SectionReader {
        precondition((section.names == nil) == (instance == nil), "an instance exactly for patterned sections")
        return SectionReader(reader: self, section: section, instance: instance)
    }

    /// The instances of a patterned section that any layer sets a key of, sorted.
    func instances(of section: SettingsSection) -> [String] {
        var found = Set<String>()
        for key in self.sources.setKeys.flatMap(\.keys) {
            let components = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if let instance = section.match(components)?.instance { found.insert(instance) }
        }
        for variable in self.sources.variables {
            let name = String(variable.dropFirst(EnvironmentNames.prefix.count))
            if let instance = section.match(environmentName: name)?.instance { found.insert(instance) }
        }
        return found.sorted()
    }

    /// Records a problem of `key`.
    func report(_ key: String, _ problem: String) { self.problems.append("\(key): \(problem)") }

    /// Throws a `CLIFailure` listing every problem, if there is one, followed by `warnings`.
    func finish(warnings: [String] = []) throws {
        guard self.problems.isEmpty else {
            throw CLIFailure(
                (["invalid configuration:"] + self.problems).joined(separator: "\n  ")
                    + warnings.map { "\n" + $0 }.joined())
        }
    }
}

/// A reader scoped to one section (or one instance of a patterned one): it reads only the keys declared there,
/// checks each against its declared kind, and reports a bad value by key, expected form and origin.
struct SectionReader {
    let reader: SettingsReader
    let section: SettingsSection
    let instance: String?

    /// The key's text, trimmed of spaces, from the highest layer that sets it.
    func string(_ key: SettingKey) -> String? { self.value(key)?.text }

    /// An `.int` key's value, within its range.
    func int(_ key: SettingKey) -> Int? {
        guard case .int(let range) = key.kind else { preconditionFailure("\(key.name) is not an integer") }
        return self.parse(key) { Int($0).flatMap { range.contains($0) ? $0 : nil } }
    }

    /// A `.double` key's value, finite and within its range.
    func double(_ key: SettingKey) -> Double? {
        guard case .double(let range) = key.kind else { preconditionFailure("\(key.name) is not a number") }
        return self.parse(key) { Double($0).flatMap { $0.isFinite && range.contains($0) ? $0 : nil } }
    }

    /// A `.bool` key's value (true/false, yes/no, 1/0).
    func bool(_ key: SettingKey) -> Bool? {
        guard case .bool = key.kind else { preconditionFailure("\(key.name) is not a flag") }
        return self.parse(key) {
            switch $0.lowercased() {
            case "true", "yes", "1": true
            case "false", "no", "0": false
            default: nil
            }
        }
    }

    /// A `.list` key's items, trimmed, empty ones dropped.
    func list(_ key: SettingKey) -> [String]? {
        guard case .list = key.kind else { preconditionFailure("\(key.name) is not a list") }
        return self.value(key).map { text in
            text.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// A `.oneOf` key's choice.
    func choice(_ key: SettingKey) -> String? {
        guard case .oneOf(let choices) = key.kind else { preconditionFailure("\(key.name) is not a choice") }
        return self.parse(key) { choices.contains($0) ? $0 : nil }
    }

    /// Records a problem of `key` that its kind does not catch (a database URL of an unknown scheme).
    func fail(_ key: SettingKey, _ problem: String) {
        self.reader.report(self.section.fullName(key, instance: self.instance), problem)
    }

    /// The key's text through `parse`; text that does not parse is reported by the expected form and origin.
    private func parse<Value>(_ key: SettingKey, _ parse: (String) -> Value?) -> Value? {
        guard let text = self.value(key) else { return nil }
        if let value = parse(text.text) { return value }
        self.fail(key, "expected \(key.kind.expected) (from \(text.origin))")
        return nil
    }

    /// The key's text from the highest layer, trimmed of spaces; a value with no text form is reported.
    private func value(_ key: SettingKey) -> SettingText? {
        precondition(self.section.keys.contains { $0.name == key.name }, "\(key.name) is not declared here")
        let found = self.reader.sources.text(self.section.components(key, instance: self.instance), kind: key.kind)
        if let origin = found.unreadableIn {
            self.fail(key, "expected \(key.kind.expected) (from \(origin))")
        }
        return found.text.map { SettingText(text: $0.text.trimmingCharacters(in: .whitespaces), origin: $0.origin) }
    }
}
