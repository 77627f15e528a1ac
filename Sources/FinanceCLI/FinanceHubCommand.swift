import ArgumentParser
import Foundation

/// The `financehub` command line.
public struct FinanceHubCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "financehub",
        abstract: "FinanceHub: a self-hosted market-data hub (ingestion, time series, analytics, live streams).",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, ImportCommand.self, BackfillCommand.self, IndicatorsCommand.self,
            PatternsCommand.self, AnomaliesCommand.self, BenchCommand.self, UserCommand.self, APIKeyCommand.self,
        ])

    public init() {}

    /// Runs the command line with `arguments` and returns the process exit code: 0 success, 1 data or runtime
    /// error, 64 usage error. Output goes to stdout (results) and stderr (everything else).
    public static func run(arguments: [String]) async -> Int32 {
        do {
            var command = try FinanceHubCommand.parseAsRoot(arguments)
            let group = type(of: command).configuration
            if !group.subcommands.isEmpty {
                // A group (financehub, import, bench) without its subcommand: a usage error, with the group's help.
                let names = group.subcommands.map { $0.configuration.commandName ?? "" }.joined(separator: ", ")
                Console.info(
                    "Error: missing subcommand: use one of \(names)\n\n"
                        + FinanceHubCommand.helpMessage(for: type(of: command)))
                return 64
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let failure as CLIFailure {
            Console.error(failure.message)
            return 1
        } catch {
            let code = FinanceHubCommand.exitCode(for: error)
            if code == .success {
                // --help and --version print to stdout.
                do { try Output.line(FinanceHubCommand.fullMessage(for: error)) } catch {
                    Console.error((error as? CLIFailure)?.message ?? "\(error)")
                    return 1
                }
                return 0
            }
            // ArgumentParser's message already starts with "Error:" and carries the usage.
            Console.info(FinanceHubCommand.fullMessage(for: error))
            return code == .validationFailure || code.rawValue == 64 ? 64 : 1
        }
    }
}

/// A data or runtime failure: the message goes to stderr and the process exits 1.
struct CLIFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// stderr output: progress, warnings, errors. A stderr that cannot be written loses the message (there is nowhere
/// left to report it), never traps.
enum Console {
    static func error(_ message: String) {
        try? FileHandle.standardError.write(contentsOf: Data(("error: " + message + "\n").utf8))
    }

    static func info(_ message: String) {
        try? FileHandle.standardError.write(contentsOf: Data((message + "\n").utf8))
    }
}
