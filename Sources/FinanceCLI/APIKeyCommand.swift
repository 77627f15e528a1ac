import ArgumentParser
import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Logging

/// `financehub apikey create|list|revoke`: API keys, sent as `X-API-Key`. A service key ingests data and writes
/// assets (like an admin, without rate limits); a personal key (`--user`) acts with its owner's role and tier.
struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys (admin).",
        subcommands: [APIKeyCreate.self, APIKeyList.self, APIKeyRevoke.self])
}

struct APIKeyCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create an API key and print it once (only its hash is kept).")

    @Option(help: "A label for the key (1–64 printable characters).") var name: String
    @Option(help: "service (ingestion and asset writes) or personal (acts as --user).") var role: String = "service"
    @Option(help: "The owner of a personal key.") var user: String?
    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        guard APIKeyRecord.isValidName(self.name) else {
            throw ArgumentParser.ValidationError("--name must be 1–64 printable ASCII characters")
        }
        switch (self.role, self.user) {
        case ("service", nil): break
        case ("service", _): throw ArgumentParser.ValidationError("a service key has no --user")
        case ("personal", nil): throw ArgumentParser.ValidationError("a personal key needs --user NAME")
        case ("personal", let user?):
            guard User.normalizeName(user) != nil else {
                throw ArgumentParser.ValidationError("invalid user name '\(Echo.text(user))': \(User.nameRule)")
            }
        default: throw ArgumentParser.ValidationError("--role must be service or personal")
        }
    }

    func run() async throws {
        let settings = try await self.db.settings()
        let store = try await self.db.open(settings, logger: Logger(label: "financehub.apikey"))
        do {
            let owner = self.user.flatMap(User.normalizeName)
            if let owner {
                do { _ = try await store.user(named: owner) } catch StorageError.notFound {
                    throw CLIFailure("no user \(owner)")
                }
            }
            let auth = try await AuthService.make(settings: settings.auth, users: store, clock: SystemClock())
            let (record, key) = try await auth.createAPIKey(name: self.name, owner: owner)
            try await store.close()
            Console.info("created \(owner == nil ? "service" : "personal") key \(record.id); it is shown only now:")
            print(key)
        } catch {
            try? await store.close()
            throw error
        }
    }
}

struct APIKeyList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List API keys (never the keys).")

    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let store = try await self.db.open(logger: Logger(label: "financehub.apikey"))
        let keys = try await store.apiKeys(owner: nil)
        try await store.close()
        print("id,name,owner,created,revoked")
        for key in keys {
            let name = key.name.contains(",") || key.name.contains("\"") ? CSVField.quoted(key.name) : key.name
            print("\(key.id),\(name),\(key.owner ?? "service"),\(Timestamp.iso8601(key.createdAt)),\(key.revoked)")
        }
    }
}

struct APIKeyRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke an API key (refused everywhere within 2 s).")

    @Argument(help: "The key's id (from `apikey list`).") var id: String
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let store = try await self.db.open(logger: Logger(label: "financehub.apikey"))
        let revoked = try await store.revokeAPIKey(id: self.id)
        try await store.close()
        guard revoked else { throw CLIFailure("no API key \(Echo.text(self.id))") }
        print("revoked \(self.id)")
    }
}

/// A CSV field in double quotes, inner quotes doubled.
enum CSVField {
    static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
