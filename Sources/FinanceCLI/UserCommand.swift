import ArgumentParser
import FinanceApp
import FinanceCore
import FinanceStorage
import Foundation
import Logging

/// `financehub user add|list|disable`: the users who may sign in.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users (admin).",
        subcommands: [UserAdd.self, UserList.self, UserDisable.self])
}

struct UserAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Create a user; the password is read from stdin (one line).")

    @Argument(help: "User name: \(User.nameRule).") var name: String
    @Option(help: "Role: admin or user.") var role: String = "user"
    @Option(help: "Tier: free, pro or enterprise.") var tier: String = "free"
    @Flag(help: "Read the password from stdin (one line; its newline is dropped).") var passwordStdin = false
    @OptionGroup var db: DatabaseOptions

    func validate() throws {
        guard User.normalizeName(self.name) != nil else {
            throw ArgumentParser.ValidationError("invalid user name '\(Echo.text(self.name))': \(User.nameRule)")
        }
        guard UserRole(rawValue: self.role) != nil else {
            throw ArgumentParser.ValidationError("--role must be admin or user")
        }
        guard UserTier(rawValue: self.tier) != nil else {
            throw ArgumentParser.ValidationError("--tier must be free, pro or enterprise")
        }
        guard self.passwordStdin else {
            throw ArgumentParser.ValidationError(
                "--password-stdin is required: pass the password on stdin (never as an argument, which other users can see)"
            )
        }
    }

    func run() async throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIFailure("no password on stdin")
        }
        let settings = try await self.db.settings()
        let store = try await self.db.open(settings, logger: Logger(label: "financehub.user"))
        do {
            let auth = try await AuthService.make(settings: settings.auth, users: store, clock: SystemClock())
            let user = User(
                name: User.normalizeName(self.name)!, passwordHash: auth.hashPassword(line),
                role: UserRole(rawValue: self.role)!, tier: UserTier(rawValue: self.tier)!,
                createdAt: SystemClock().nowMilliseconds())
            try await store.createUser(user)
            try await store.close()
            print("created \(user.name) (\(user.role.rawValue), \(user.tier.rawValue))")
        } catch StorageError.conflict {
            try? await store.close()
            throw CLIFailure("user \(User.normalizeName(self.name)!) exists")
        } catch {
            try? await store.close()
            throw error
        }
    }
}

struct UserList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users (never passwords).")

    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        let store = try await self.db.open(logger: Logger(label: "financehub.user"))
        let users = try await store.users()
        try await store.close()
        print("name,role,tier,disabled,created")
        for user in users {
            print(
                "\(user.name),\(user.role.rawValue),\(user.tier.rawValue),\(user.disabled),\(Timestamp.iso8601(user.createdAt))"
            )
        }
    }
}

struct UserDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a user: sign-in refused, refresh tokens revoked.")

    @Argument(help: "User name.") var name: String
    @OptionGroup var db: DatabaseOptions

    func run() async throws {
        guard let name = User.normalizeName(self.name) else { throw CLIFailure("no user \(Echo.text(self.name))") }
        let store = try await self.db.open(logger: Logger(label: "financehub.user"))
        do {
            var user = try await store.user(named: name)
            user.disabled = true
            try await store.updateUser(user)
            try await store.revokeRefreshTokens(user: name)
            try await store.close()
            print("disabled \(name)")
        } catch StorageError.notFound {
            try? await store.close()
            throw CLIFailure("no user \(name)")
        }
    }
}
