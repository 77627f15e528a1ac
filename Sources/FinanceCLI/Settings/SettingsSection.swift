/// The names the placeholder segment of a patterned section admits.
enum SectionNames: Sendable {
    /// Only these (`ws.tiers.<tier>`: free, pro, enterprise).
    case fixed([String])
    /// Any lower-case name of letters and digits starting with a letter (`providers.<name>`), so that its
    /// environment spelling (`COINGECKO`) reads back as one name.
    case open

    /// True when `name` may fill the placeholder.
    func admits(_ name: String) -> Bool {
        switch self {
        case .fixed(let names): return names.contains(name)
        case .open:
            guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
            return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        }
    }
}

/// A settings section: a dotted prefix, one segment of which may be a `<placeholder>` (a patterned section such as
/// `providers.<name>`), and the keys declared under it, once.
struct SettingsSection: Sendable {
    /// The prefix's segments, the placeholder spelt `<name>`.
    let prefix: [String]
    /// What the placeholder admits; nil for a plain section.
    let names: SectionNames?
    let keys: [SettingKey]

    /// Declares a section; `prefix` holds at most one `<placeholder>` segment, and only when `names` is given.
    init(_ prefix: String, names: SectionNames? = nil, keys: [SettingKey]) {
        self.prefix = prefix.split(separator: ".").map(String.init)
        self.names = names
        self.keys = keys
        precondition(
            self.prefix.filter(Self.isPlaceholder).count == (names == nil ? 0 : 1),
            "section \(prefix): one <placeholder> segment exactly when names are given")
    }

    /// The position of the placeholder segment in the prefix.
    var placeholderIndex: Int? { self.prefix.firstIndex(where: Self.isPlaceholder) }

    /// The dotted prefix as declared (`providers.<name>`).
    var name: String { self.prefix.joined(separator: ".") }

    /// The key's segments, the placeholder filled with `instance` when given.
    func components(_ key: SettingKey, instance: String? = nil) -> [String] {
        var prefix = self.prefix
        if let index = self.placeholderIndex, let instance { prefix[index] = instance }
        return prefix + key.components
    }

    /// The key's dotted name, the placeholder filled with `instance` when given (`providers.<name>.baseUrl`).
    func fullName(_ key: SettingKey, instance: String? = nil) -> String {
        self.components(key, instance: instance).joined(separator: ".")
    }

    /// The key's environment variable; with the placeholder unfilled, spelt `<NAME>` in it
    /// (`FINANCEHUB_PROVIDERS_<NAME>_BASE_URL`).
    func variable(_ key: SettingKey, instance: String? = nil) -> String {
        let all = self.components(key, instance: instance)
        guard let index = self.placeholderIndex, instance == nil else {
            return EnvironmentNames.prefix + EnvironmentNames.name(all)
        }
        let placeholder = all[index].uppercased()
        return EnvironmentNames.prefix + EnvironmentNames.name(Array(all[..<index])) + "_" + placeholder + "_"
            + EnvironmentNames.name(Array(all[(index + 1)...]))
    }

    /// The declared key that dotted `components` name, and the instance that fills the placeholder.
    func match(_ components: [String]) -> (key: SettingKey, instance: String?)? {
        guard components.count > self.prefix.count else { return nil }
        var instance: String? = nil
        for (i, segment) in self.prefix.enumerated() {
            if i == self.placeholderIndex {
                guard self.names?.admits(components[i]) == true else { return nil }
                instance = components[i]
            } else if components[i] != segment {
                return nil
            }
        }
        let rest = Array(components[self.prefix.count...])
        guard let key = self.keys.first(where: { $0.components == rest }) else { return nil }
        return (key, instance)
    }

    /// The declared key that an environment variable (without `FINANCEHUB_`) names, and the instance that fills
    /// the placeholder (read back in lower case).
    func match(environmentName name: String) -> (key: SettingKey, instance: String?)? {
        for key in self.keys {
            guard let index = self.placeholderIndex else {
                if EnvironmentNames.name(self.components(key)) == name { return (key, nil) }
                continue
            }
            let all = self.components(key)
            let before = EnvironmentNames.name(Array(all[..<index])) + "_"
            let after = "_" + EnvironmentNames.name(Array(all[(index + 1)...]))
            guard name.count > before.count + after.count, name.hasPrefix(before), name.hasSuffix(after) else {
                continue
            }
            let instance = String(name.dropFirst(before.count).dropLast(after.count)).lowercased()
            // The instance must spell itself the same way back, or the provider would look for another variable.
            if self.names?.admits(instance) == true, EnvironmentNames.name([instance]) == instance.uppercased() {
                return (key, instance)
            }
        }
        return nil
    }

    private static func isPlaceholder(_ segment: String) -> Bool { segment.hasPrefix("<") && segment.hasSuffix(">") }
}
