import Foundation
import Synchronization

/// The real `financehub` executable, for tests that run it as a process.
public enum FinanceHubBinary {
    /// The executable that `swift test` builds beside the test bundle, nil when it is not there.
    public static var url: URL? {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("financehub") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Runs it with `arguments` in `directory`, `stdin` written to its input; returns its exit code, stdout and
    /// stderr. Nil when the executable is not built.
    public static func run(_ arguments: [String], stdin: String = "", in directory: URL? = nil) throws -> (
        code: Int32, out: String, err: String
    )? {
        guard let binary = self.url else { return nil }
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let input = Pipe()
        let out = Pipe()
        let err = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = err
        try p.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        // Stderr is read on its own thread so that neither pipe fills while the other is read.
        let errData = Mutex<Data>(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !reader.isFinished { usleep(1_000) }
        return (
            p.terminationStatus, String(decoding: outData, as: UTF8.self),
            String(decoding: errData.withLock { $0 }, as: UTF8.self)
        )
    }
}
