/// How a key is spelt as an environment variable: exactly as swift-configuration's `EnvironmentVariablesProvider`
/// looks it up under the `financehub` prefix.
enum EnvironmentNames {
    /// Every variable of ours starts with this.
    static let prefix = "FINANCEHUB_"
    /// Variables under these prefixes belong to the tests and benchmarks, not to settings.
    static let exempt = ["FINANCEHUB_TEST_", "FINANCEHUB_BENCH_"]

    /// The variable of a dotted key: `http.maxBodyBytes` → `FINANCEHUB_HTTP_MAX_BODY_BYTES`.
    static func variable(_ key: String) -> String {
        self.prefix + self.name(key.split(separator: ".").map(String.init))
    }

    /// Key segments in the provider's spelling: `_` where a lower-case letter meets an upper-case one, upper case,
    /// anything but letters and digits as `_`, segments joined by `_` (`perIpPerMinute` → `PER_IP_PER_MINUTE`).
    static func name(_ components: [String]) -> String {
        components.map { component in
            var spelt = ""
            var previous: Character? = nil
            for character in component {
                if let previous, previous.isLowercase, character.isUppercase { spelt.append("_") }
                spelt.append(character)
                previous = character
            }
            return spelt.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        }
        .joined(separator: "_")
    }
}

/// Startup warnings for `FINANCEHUB_*` variables that match no declared key: a typo would otherwise leave its
/// setting at the default without a word.
enum EnvironmentCheck {
    /// One warning per unknown variable, sorted, naming the variable and the closest key; never a value.
    static func warnings(_ environment: [String: String], catalog: SettingsCatalog) -> [String] {
        let unknown = environment.keys.filter { variable in
            variable.hasPrefix(EnvironmentNames.prefix) && !EnvironmentNames.exempt.contains { variable.hasPrefix($0) }
                && catalog.match(environmentVariable: variable) == nil
        }
        return unknown.sorted().map { variable in
            var message = "warning: environment variable \(variable) matches no setting"
            if let closest = self.closest(to: variable, catalog: catalog) {
                message += "; did you mean \(closest.variable) (\(closest.key))?"
            }
            return message
        }
    }

    /// The declared key whose variable is nearest `variable` by edit distance. A patterned section's placeholder
    /// takes the segment of `variable` at its place when that segment is a name it admits.
    static func closest(to variable: String, catalog: SettingsCatalog) -> (variable: String, key: String)? {
        let segments = variable.dropFirst(EnvironmentNames.prefix.count).split(separator: "_").map(String.init)
        var best: (distance: Int, variable: String, key: String)? = nil
        for section in catalog.sections {
            var instances: [String?] = [nil]
            if let index = section.placeholderIndex, let names = section.names {
                let at = EnvironmentNames.name(Array(section.prefix[..<index])).split(separator: "_").count
                switch names {
                case .fixed(let fixed): instances = fixed
                case .open:
                    let guess = at < segments.count ? segments[at].lowercased() : nil
                    instances = [guess.flatMap { names.admits($0) ? $0 : nil }]
                }
            }
            for key in section.keys {
                for instance in instances {
                    let name = section.variable(key, instance: instance)
                    let distance = self.editDistance(name, variable)
                    if distance < best?.distance ?? Int.max {
                        best = (distance, name, section.fullName(key, instance: instance))
                    }
                }
            }
        }
        return best.map { ($0.variable, $0.key) }
    }

    /// Levenshtein distance over the two spellings' bytes.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
