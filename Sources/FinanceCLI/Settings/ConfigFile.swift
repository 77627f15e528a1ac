import Configuration
import Foundation
import SystemPackage
import Yams

/// A config file (YAML when it ends in .yaml or .yml, JSON otherwise): its provider and the keys it sets.
struct ConfigFile {
    let path: String
    let provider: any ConfigProvider
    /// Every key the file sets, dotted (nested objects and dotted names both spell `http.port`), sorted.
    let keys: [String]

    /// Reads the file; a missing or unparsable file is a `CLIFailure` that never quotes the file's text. Keys that
    /// `catalog` declares secret are marked secret in the provider.
    static func open(_ path: String, catalog: SettingsCatalog) async throws -> ConfigFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIFailure("config file not found: \(path)")
        }
        let isSecret: @Sendable (String) -> Bool = { catalog.match(key: $0)?.key.isSecret == true }
        do {
            let keys = try Self.keys(inFile: path)
            let provider: any ConfigProvider
            if Self.isYAML(path) {
                provider = try await FileProvider<YAMLSnapshot>(
                    parsingOptions: .init(secretsSpecifier: .dynamic { key, _ in isSecret(key) }),
                    filePath: FilePath(path))
            } else {
                provider = try await FileProvider<JSONSnapshot>(
                    parsingOptions: .init(secretsSpecifier: .dynamic { key, _ in isSecret(key) }),
                    filePath: FilePath(path))
            }
            return ConfigFile(path: path, provider: provider, keys: keys)
        } catch {
            throw CLIFailure("cannot read config file \(path): \(Self.describeError(error))")
        }
    }

    /// A parser's error without the file's text: its first line (position and problem). The parser quotes the
    /// offending line after it, and that line may hold a password; credentials in a URL are masked as well.
    static func describeError(_ error: any Error) -> String {
        var first = "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        if first.hasSuffix(":") { first.removeLast() }
        return first.replacing(/:\/\/([^\/\s:@]*):[^@\s]*@/) { "://\($0.1)@" }
    }

    /// True for files read as YAML.
    static func isYAML(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

    /// The dotted keys of the file's leaves (arrays and scalars), sorted.
    static func keys(inFile path: String) throws -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let root: Any? =
            if Self.isYAML(path) {
                try Yams.load(yaml: text)
            } else {
                text.isEmpty ? nil : try JSONSerialization.jsonObject(with: Data(text.utf8))
            }
        var found: [String] = []
        func walk(_ value: Any?, _ prefix: String) {
            if let object = value as? [String: Any] {
                for (k, v) in object { walk(v, prefix.isEmpty ? k : prefix + "." + k) }
            } else if let object = value as? [AnyHashable: Any] {
                for (k, v) in object { walk(v, prefix.isEmpty ? "\(k)" : prefix + ".\(k)") }
            } else if !prefix.isEmpty {
                found.append(prefix)
            }
        }
        walk(root, "")
        return found.sorted()
    }
}
