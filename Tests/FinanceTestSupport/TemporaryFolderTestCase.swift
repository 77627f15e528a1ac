import Foundation
import XCTest

/// A test case with a fresh temporary folder per test (`dir`), removed afterwards.
open class TemporaryFolderTestCase: XCTestCase {
    public var dir: URL!

    override open func setUp() {
        super.setUp()
        self.dir = FileManager.default.temporaryDirectory.appendingPathComponent("financehub-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: self.dir, withIntermediateDirectories: true)
    }

    override open func tearDown() {
        try? FileManager.default.removeItem(at: self.dir)
        super.tearDown()
    }

    /// The path of `name` in the folder.
    public func path(_ name: String) -> String { self.dir.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the folder and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let path = self.path(name)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return path
    }
}
