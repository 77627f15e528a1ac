import Configuration

/// A value as a layer holds it, as text, with where it came from (for messages; never the value itself).
struct SettingText {
    let text: String
    /// `command line`, the environment variable's name, or `config file PATH`.
    let origin: String
}

/// One layer: its provider and how messages name where a key's value came from.
struct SettingsLayer {
    let provider: any ConfigProvider
    /// `command line` or `config file PATH`; nil for the environment, where the variable's name says more.
    let name: String?

    /// Where the value of `components` came from in this layer.
    func origin(_ components: [String]) -> String {
        self.name ?? EnvironmentNames.prefix + EnvironmentNames.name(components)
    }
}

/// The layers settings come from, highest priority first: command line, environment (`FINANCEHUB_*`), config
/// file; below them, each declaration's default. Every layer marks the catalog's secret keys secret.
struct SettingsSources {
    /// Highest priority first.
    let layers: [SettingsLayer]
    /// Dotted keys set on the command line and in the config file, by layer.
    let setKeys: [(origin: String, keys: [String])]
    /// The `FINANCEHUB_*` variables of the environment.
    let variables: [String]

    /// Builds the layers; a config file that is missing or does not parse is a `CLIFailure`.
    static func load(
        configFile: String?, overrides: [String: String], environment: [String: String], catalog: SettingsCatalog
    ) async throws -> SettingsSources {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in overrides {
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(
                .string(value), isSecret: catalog.match(key: key)?.key.isSecret == true)
        }
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .dynamic { name, _ in catalog.match(environmentVariable: name)?.key.isSecret == true })
        var layers = [
            SettingsLayer(provider: InMemoryProvider(name: "command line", values: values), name: "command line"),
            SettingsLayer(provider: environmentProvider.prefixKeys(with: "financehub"), name: nil),
        ]
        var setKeys = [(origin: "command line", keys: overrides.keys.sorted())]
        if let configFile {
            let file = try await ConfigFile.open(configFile, catalog: catalog)
            layers.append(SettingsLayer(provider: file.provider, name: "config file \(configFile)"))
            setKeys.append(("config file \(configFile)", file.keys))
        }
        return SettingsSources(
            layers: layers, setKeys: setKeys,
            variables: environment.keys.filter { $0.hasPrefix(EnvironmentNames.prefix) }.sorted())
    }

    /// The text of the highest layer that sets `components`, nil when none does. A layer whose value has no text
    /// form for `kind` (an object, or a list where one value is expected) yields an origin without text.
    func text(_ components: [String], kind: SettingKind) -> (text: SettingText?, unreadableIn: String?) {
        let key = AbsoluteConfigKey(components)
        for layer in self.layers {
            let origin = layer.origin(components)
            var present = false
            for type in Self.types(kind) {
                // A provider throws when its value does not convert to `type`: try the next form.
                guard let result = try? layer.provider.value(forKey: key, type: type) else {
                    present = true
                    continue
                }
                guard let value = result.value else { break }
                return (SettingText(text: Self.text(value.content), origin: origin), nil)
            }
            if present { return (nil, origin) }
        }
        return (nil, nil)
    }

    /// The forms tried for a kind, text first (environment and command line hold only text).
    private static func types(_ kind: SettingKind) -> [ConfigType] {
        switch kind {
        case .string, .oneOf, .int: return [.string, .int, .double]
        case .double: return [.string, .double]
        case .bool: return [.string, .bool]
        case .list: return [.string, .stringArray, .intArray, .doubleArray, .int, .double]
        }
    }

    /// A value's text; lists joined by commas.
    private static func text(_ content: ConfigContent) -> String {
        switch content {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        case .stringArray(let a): return a.joined(separator: ",")
        case .intArray(let a): return a.map(String.init).joined(separator: ",")
        case .doubleArray(let a): return a.map { String($0) }.joined(separator: ",")
        case .boolArray(let a): return a.map(String.init).joined(separator: ",")
        case .bytes, .byteChunkArray: return ""
        }
    }
}
