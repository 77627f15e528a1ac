import FinanceApp
import FinanceCLI
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceStorageSQLite
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

@testable import FinanceCLI

final class AnalyticsTests: XCTestCase {
    /// 400 daily bars of a random walk with a volume surge and a price spike near the end.
    static func bars() -> [Bar] {
        var state: UInt64 = 11
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / 9_007_199_254_740_992.0
        }
        var price = 100.0
        return (0..<400).map { i in
            let open = price
            price *= 1 + (uniform() - 0.5) * 0.03
            if i == 390 { price *= 1.25 }
            let high = max(open, price) * (1 + uniform() * 0.005)
            let low = min(open, price) * (1 - uniform() * 0.005)
            let volume = (i == 380 ? 40_000 : 1_000) + uniform() * 100
            return Bar(
                ts: 1_600_000_000_000 / 86_400_000 * 86_400_000 + Int64(i) * 86_400_000, open: open, high: high,
                low: low, close: price, volume: volume)
        }
    }

    func testPatternAndAnomalyRoutes() async throws {
        let store = MemoryStore()
        let bars = Self.bars()
        try await store.createAsset(Asset(symbol: "WALK", assetClass: .equity))
        try await store.writeBars(BarBatch(symbol: "WALK", interval: .day1, bars: bars))
        try await makeApp(store: store).test(.router) { client in
            let p = try await client.send(.get, "/api/patterns/walk?interval=1d&limit=400")
            XCTAssertEqual(p.status, .ok, p.text)
            let answer = try p.decode(PatternsDTO.self)
            let patterns = answer.patterns
            // The default method is template matching, as the detector's default.
            XCTAssertEqual(PatternOptions().method, .templates)
            let expected = PatternDetector(options: PatternOptions()).detect(bars: bars)
            XCTAssertEqual(patterns.count, expected.count)
            XCTAssertEqual(patterns, expected.map(PatternDTO.init))
            XCTAssertEqual(answer.interval, "1d")
            let explicit = try await client.send(.get, "/api/patterns/walk?interval=1d&limit=400&method=templates")
            XCTAssertEqual(try explicit.decode(PatternsDTO.self).patterns, patterns)
            // The served OpenAPI document names the default.
            let doc = try await client.send(.get, "/openapi.json")
            let paths = doc.object["paths"] as? [String: [String: Any]]
            let get = paths?["/api/patterns/{symbol}"]?["get"] as? [String: Any]
            let parameters = get?["parameters"] as? [[String: Any]] ?? []
            let method = parameters.first { $0["name"] as? String == "method" }?["schema"] as? [String: Any]
            XCTAssertEqual(method?["default"] as? String, "templates")
            // method=rules (fast screening): turning points and shape rules, as the detector with that method.
            let ruled = PatternDetector(options: .rules).detect(bars: bars)
            let byRules = try await client.send(.get, "/api/patterns/walk?interval=1d&limit=400&method=rules")
            let got = try byRules.decode(PatternsDTO.self).patterns
            XCTAssertEqual(got.count, ruled.count, byRules.text)
            XCTAssertEqual(got.map(\.id), ruled.map(\.id))
            XCTAssertNotEqual(ruled.map(\.id), expected.map(\.id))
            // screen=false with the rules reports every shape they accept, as the detector without its screen.
            var open = PatternOptions.rules
            open.screen = nil
            let unscreened = PatternDetector(options: open).detect(bars: bars)
            XCTAssertNotEqual(unscreened.count, ruled.count)
            let all = try await client.send(
                .get, "/api/patterns/walk?interval=1d&limit=400&method=rules&screen=false")
            XCTAssertEqual(try all.decode(PatternsDTO.self).patterns.count, unscreened.count, all.text)
            let badScreen = try await client.send(.get, "/api/patterns/walk?screen=no")
            XCTAssertEqual(badScreen.status, .unprocessableContent)
            XCTAssertTrue(badScreen.text.contains("screen must be one of true, false"), badScreen.text)
            let badMethod = try await client.send(.get, "/api/patterns/walk?method=neural")
            XCTAssertEqual(badMethod.status, .unprocessableContent)
            XCTAssertTrue(badMethod.text.contains("method must be one of rules, templates"), badMethod.text)
            let a = try await client.send(.get, "/api/anomalies/WALK?interval=1d&limit=400")
            XCTAssertEqual(a.status, .ok, a.text)
            let types = Set(try a.decode(AnomaliesDTO.self).anomalies.map(\.type.rawValue))
            XCTAssertTrue(types.contains("volume_surge"), "\(types)")
            XCTAssertTrue(types.contains("price_spike") || types.contains("gap_up"), "\(types)")
            let from = bars[385].ts
            let later = try await client.send(.get, "/api/anomalies/WALK?interval=1d&from=\(from)&types=volume_surge")
            XCTAssertEqual(try later.decode(AnomaliesDTO.self).anomalies, [])
            let badTypes = try await client.send(.get, "/api/patterns/WALK?types=triangle&status=done")
            XCTAssertEqual(badTypes.status, .unprocessableContent)
            let fields = Set(badTypes.problemFields)
            XCTAssertEqual(fields, ["types", "status"])
            let badAnomaly = try await client.send(.get, "/api/anomalies/WALK?types=meteor")
            XCTAssertEqual(badAnomaly.status, .unprocessableContent)
            // A list that names nothing is an error, not an empty filter.
            for query in ["/api/patterns/WALK?types=", "/api/patterns/WALK?status=,,", "/api/anomalies/WALK?types=,"] {
                let empty = try await client.send(.get, query)
                XCTAssertEqual(empty.status, .unprocessableContent, query)
                XCTAssertTrue(empty.text.contains("names nothing"), empty.text)
            }
            let spaced = try await client.send(.get, "/api/patterns/WALK?limit=400&types=support,%20resistance")
            XCTAssertEqual(spaced.status, .ok, spaced.text)
            let filtered = try await client.send(
                .get, "/api/patterns/WALK?limit=400&types=support,resistance&status=completed,confirmed")
            for record in try filtered.decode(PatternsDTO.self).patterns {
                XCTAssertTrue([.support, .resistance].contains(record.type))
            }
        }
    }

    func testAWideRangeIsReadWholeInPages() async throws {
        // 130,000 minute bars (more than one store page of 100,000), with a price spike near the start and one near
        // the end: a query over the whole range reports both, as the batch detector over every bar does.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wide-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: dir.appendingPathComponent("w.sqlite").path)
        try await store.migrate()
        let t0: Int64 = 1_700_000_040_000 / 60_000 * 60_000
        var price = 100.0
        let bars = (0..<130_000).map { i -> Bar in
            let open = price
            price *= 1 + 0.0005 * sin(Double(i) * 0.7) * cos(Double(i) * 0.13)
            if i == 1_000 || i == 125_000 { price *= 1.2 }
            return Bar(
                ts: t0 + Int64(i) * 60_000, open: open, high: max(open, price) * 1.0001,
                low: min(open, price) * 0.9999, close: price, volume: 1_000 + Double(i % 7))
        }
        try await store.createAsset(Asset(symbol: "BIG", assetClass: .crypto))
        for start in stride(from: 0, to: bars.count, by: 10_000) {
            try await store.writeBars(
                BarBatch(symbol: "BIG", interval: .minute1, bars: Array(bars[start..<min(bars.count, start + 10_000)])))
        }
        var options = AnomalyOptions()
        options.continuousMarket = true
        options.types = [.priceSpike]
        let expected = AnomalyDetector(options: options).detect(bars: bars).map(\.ts)
        XCTAssertTrue(expected.contains(bars[125_000].ts))
        try await makeApp(store: store).test(.router) { client in
            let to = bars[bars.count - 1].ts + 60_000
            let a = try await client.send(
                .get, "/api/anomalies/BIG?interval=1m&from=\(t0)&to=\(to)&types=price_spike")
            XCTAssertEqual(a.status, .ok, a.text)
            let got = try a.decode(AnomaliesDTO.self).anomalies.map(\.ts)
            XCTAssertEqual(got, expected)
            // Paging is what is tested here: the rules scan the 130,000 bars in a fraction of the templates' time.
            let p = try await client.send(.get, "/api/patterns/BIG?interval=1m&from=\(t0)&to=\(to)&method=rules")
            XCTAssertEqual(p.status, .ok)
            let ends = try p.decode(PatternsDTO.self).patterns.map(\.end)
            let batch = PatternDetector.filter(
                PatternDetector(options: .rules).detect(bars: bars), from: t0, to: to - 1)
            XCTAssertEqual(ends, batch.map(\.end))
            XCTAssertTrue(ends.contains { $0 > bars[100_500].ts }, "records after the first page")
        }
        try await store.close()
    }

    /// A new temporary folder holding `in.csv` with `bars()`; the caller removes the folder.
    static func barsFile() throws -> (dir: URL, input: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("an-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var csv = "timestamp,open,high,low,close,volume\n"
        for b in Self.bars() { csv += "\(b.ts),\(b.open),\(b.high),\(b.low),\(b.close),\(b.volume)\n" }
        let input = dir.appendingPathComponent("in.csv").path
        try csv.write(toFile: input, atomically: true, encoding: .utf8)
        return (dir, input)
    }

    func testPatternsAndAnomaliesCommands() async throws {
        let (dir, input) = try Self.barsFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("p.json").path
        let code = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", out,
        ])
        XCTAssertEqual(code, 0)
        let records =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [[String: Any]]
        XCTAssertNotNil(records)
        let table = dir.appendingPathComponent("p.csv").path
        let code2 = await FinanceHubCommand.run(arguments: ["patterns", "--input", input, "--output", table])
        XCTAssertEqual(code2, 0)
        XCTAssertTrue(try String(contentsOfFile: table, encoding: .utf8).hasPrefix("id,type,status"))
        let anomalies = dir.appendingPathComponent("a.json").path
        let code3 = await FinanceHubCommand.run(arguments: [
            "anomalies", "--input", input, "--format", "json", "--output", anomalies,
        ])
        XCTAssertEqual(code3, 0)
        let list =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: anomalies)))
            as? [[String: Any]] ?? []
        XCTAssertTrue(list.contains { $0["type"] as? String == "volume_surge" })
        // A tick file is recognised by its header.
        var ticks = "timestamp,price,size,bid,ask,bidSize,askSize\n"
        for i in 0..<3000 {
            let p = 100 + Double(i % 17) * 0.01
            ticks +=
                "\(1_700_000_000_000 + Int64(i) * 1000),\(p),\(1 + i % 5),\(p - 0.01),\(p + 0.01),\(i > 2500 ? 500 : 10),10\n"
        }
        let tickFile = dir.appendingPathComponent("t.csv").path
        try ticks.write(toFile: tickFile, atomically: true, encoding: .utf8)
        let tickOut = dir.appendingPathComponent("t.txt").path
        let code4 = await FinanceHubCommand.run(arguments: [
            "anomalies", "--input", tickFile, "--continuous", "--output", tickOut,
        ])
        XCTAssertEqual(code4, 0)
        XCTAssertTrue(try String(contentsOfFile: tickOut, encoding: .utf8).hasPrefix("ts,type,severity"))
        let bad = await FinanceHubCommand.run(arguments: ["anomalies", "--input", input, "--format", "xml"])
        XCTAssertEqual(bad, 64)
    }

    func testPatternsCommandFiltersTypesAndDrawsAChart() async throws {
        let (dir, input) = try Self.barsFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = dir.appendingPathComponent("all.json").path
        let only = dir.appendingPathComponent("only.json").path
        let svg = dir.appendingPathComponent("chart.svg").path
        let bars = Self.bars()
        let from = bars[bars.count / 4].ts
        // The default method is template matching (on this short walk it may report nothing).
        let code = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", all,
        ])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: all))) as? [Any])?.count,
            PatternDetector().detect(bars: bars).count)
        // --method rules: turning points and shape rules (fast screening).
        let rulesPath = dir.appendingPathComponent("rules.json").path
        let code1 = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", rulesPath, "--method", "rules",
        ])
        XCTAssertEqual(code1, 0)
        let records =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rulesPath)))
            as? [[String: Any]] ?? []
        XCTAssertEqual(records.count, PatternDetector(options: .rules).detect(bars: bars).count)
        let type = try XCTUnwrap(records.first?["type"] as? String)
        let code2 = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", only, "--types", type, "--chart", svg,
            "--chart-from", String(from), "--chart-to", Timestamp.iso8601(bars[bars.count - 1].ts), "--method",
            "rules",
        ])
        XCTAssertEqual(code2, 0)
        let filtered =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: only))) as? [[String: Any]]
            ?? []
        XCTAssertFalse(filtered.isEmpty)
        XCTAssertTrue(filtered.allSatisfy { $0["type"] as? String == type })
        XCTAssertEqual(filtered.count, records.filter { $0["type"] as? String == type }.count)
        // --method rules --no-screen: every shape the rules accept (the rules without their learned screen).
        let unscreenedPath = dir.appendingPathComponent("unscreened.json").path
        let code3 = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", unscreenedPath, "--method", "rules",
            "--no-screen",
        ])
        XCTAssertEqual(code3, 0)
        var open = PatternOptions.rules
        open.screen = nil
        XCTAssertEqual(
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: unscreenedPath))) as? [Any])?
                .count, PatternDetector(options: open).detect(bars: bars).count)
        let badMethod = await FinanceHubCommand.run(arguments: ["patterns", "--input", input, "--method", "neural"])
        XCTAssertEqual(badMethod, 64)
        let chart = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(chart.hasPrefix("<svg"))
        XCTAssertTrue(chart.contains("in.csv \(Timestamp.iso8601(from).prefix(10))"))
        let badType = await FinanceHubCommand.run(arguments: ["patterns", "--input", input, "--types", "triangle"])
        XCTAssertEqual(badType, 64)
        let badTime = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--chart", svg, "--chart-from", "yesterday",
        ])
        XCTAssertEqual(badTime, 64)
        // An unwritable chart fails the command, after the result was written.
        let kept = dir.appendingPathComponent("kept.json").path
        let unwritable = await FinanceHubCommand.run(arguments: [
            "patterns", "--input", input, "--format", "json", "--output", kept, "--chart",
            dir.appendingPathComponent("no/such/dir.svg").path, "--method", "rules",
        ])
        XCTAssertEqual(unwritable, 1)
        XCTAssertEqual(
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: kept))) as? [Any])?.count,
            records.count)
        for usage in [
            ["--types", ""], ["--types", " , "],
            ["--chart", svg, "--chart-from", "2015-01-01", "--chart-to", "2012-01-01"],
        ] {
            let code = await FinanceHubCommand.run(arguments: ["patterns", "--input", input] + usage)
            XCTAssertEqual(code, 64, "\(usage)")
        }
    }

    func testCommandsRejectRowsThatImportRejects() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        var good = "timestamp,open,high,low,close,volume\n"
        for i in 0..<60 { good += "\(1_700_000_000_000 + Int64(i) * 86_400_000),10,11,9,10.5,100\n" }
        let bad = [
            "negative": good.replacingOccurrences(of: ",10,11,9,10.5,", with: ",-10,-9,-11,-10.5,"),
            "high below low": good.replacingOccurrences(of: ",10,11,9,10.5,", with: ",10,9,11,10.5,"),
            "negative volume": good.replacingOccurrences(of: ",100\n", with: ",-100\n"),
            "year": good + "900000000000000000,10,11,9,10.5,100\n",
        ]
        for (name, text) in bad {
            let path = try file(name.replacingOccurrences(of: " ", with: "_") + ".csv", text)
            for command in ["patterns", "anomalies", "indicators"] {
                var args = [command, "--input", path, "--format", "json"]
                if command == "indicators" { args += ["--indicators", "sma:5"] }
                let code = await FinanceHubCommand.run(arguments: args)
                XCTAssertEqual(code, 1, "\(command) \(name)")
            }
        }
        let header = "timestamp,price,size,bid,ask,bidSize,askSize\n"
        var rows: [String] = []
        for i in 0..<50 { rows.append("\(1_700_000_000_000 + Int64(i) * 1000),100,1,99.9,100.1,10,10") }
        let ordered = try file("ticks.csv", header + rows.joined(separator: "\n") + "\n")
        let reversed = try file("reversed.csv", header + rows.reversed().joined(separator: "\n") + "\n")
        let negative = try file("neg.csv", header + "1700000000000,-5,1,,,,\n")
        let crossed = try file("crossed.csv", header + "1700000000000,100,1,101,100,1,1\n")
        // A tick file is recognised by its column names, not by a substring of the header.
        let interest = try file("interest.csv", "timestamp,price,size,openInterest\n1700000000000,100,1,5\n")
        let okOrdered = await FinanceHubCommand.run(arguments: ["anomalies", "--input", ordered, "--format", "json"])
        XCTAssertEqual(okOrdered, 0)
        let okInterest = await FinanceHubCommand.run(arguments: ["anomalies", "--input", interest, "--format", "json"])
        XCTAssertEqual(okInterest, 0)
        for path in [reversed, negative, crossed] {
            let code = await FinanceHubCommand.run(arguments: ["anomalies", "--input", path, "--format", "json"])
            XCTAssertEqual(code, 1, path)
        }
    }

    func testParseAndRuleProblemsAreListedTogetherByLine() throws {
        // Line 2 does not parse and line 3 parses but breaks a rule: one run reports both, in line order, with the
        // file's column names.
        func message(_ text: String, _ check: (CSVColumns) -> [ValidationIssue]) -> String {
            do {
                _ = try CheckedCSV.read(
                    Array(text.utf8), path: "f.csv", required: ["open", "high", "low", "close", "volume"],
                    check: check)
                return ""
            } catch let failure as CLIFailure {
                return failure.message
            } catch {
                return "\(error)"
            }
        }
        func rules(_ columns: CSVColumns) -> [ValidationIssue] {
            var issues: [ValidationIssue] = []
            for item in BarFile.bars(columns) { Validation.check(item.bar, index: item.index, into: &issues) }
            return issues
        }
        let header = "timestamp,open,high,low,close,volume\n"
        let both = message(header + "1700000000000,x,11,9,10,1\n1700086400000,10,11,9,10,-1\n", rules)
        XCTAssertEqual(
            both,
            "f.csv: 2 problems in the file:\n  line 2, open: not a finite number: 'x'\n  line 3, volume: volume (-1.0) is negative"
        )
        // Duplicate times name the time and the file's column.
        let dup = message(header + "1700000000000,10,11,9,10,1\n1700000000000,10,12,9,10,1\n") { columns in
            do throws(FinanceCore.ValidationError) {
                _ = try Ingestor.validate(symbol: "X", interval: .day1, bars: BarFile.bars(columns), maxItems: nil)
                return []
            } catch {
                return error.issues
            }
        }
        XCTAssertTrue(dup.contains("line 3, timestamp: 2023-11-14T00:00:00.000Z again"), dup)
        XCTAssertTrue(message(header + "1700000000000,10,11,9,10,1\n") { _ in [] }.isEmpty)
        let file = message(header + "1700000000000,10,11,9,10,1\n") { _ in
            [ValidationIssue(index: nil, field: "", detail: "too many")]
        }
        XCTAssertEqual(file, "f.csv: 1 problem in the file:\n  file: too many")
    }

    func testBenchCommandsRunOnSmallInputs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.csv").path
        try SyntheticData.csv(SyntheticData.minuteBars(count: 2_000, start: 1_704_067_200_000)).write(
            toFile: input, atomically: true, encoding: .utf8)
        let ind = await FinanceHubCommand.run(arguments: [
            "bench", "indicators", "--input", input, "--repetitions", "1",
        ])
        XCTAssertEqual(ind, 0)
        let pat = await FinanceHubCommand.run(arguments: [
            "bench", "patterns", "--series", "10", "--method", "rules", "--oracle",
        ])
        XCTAssertEqual(pat, 0)
        let tpl = await FinanceHubCommand.run(arguments: [
            "bench", "patterns", "--series", "10", "--template-threshold", "0.6", "--min-truth-bars", "30",
            "--by-length",
        ])
        XCTAssertEqual(tpl, 0)
        for rows in ["--template-features", "--line-features"] {
            let code = await FinanceHubCommand.run(arguments: ["bench", "patterns", "--series", "10", rows])
            XCTAssertEqual(code, 0, rows)
        }
        let rollup = await FinanceHubCommand.run(
            arguments: [
                "bench", "rollup", "--runs", "1", "--database", "sqlite:" + dir.appendingPathComponent("r.sqlite").path,
            ])
        XCTAssertEqual(rollup, 0)
    }

    func testServeRunsTheFeedIntoTheDatabaseAndStopsOnCancel() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("data/hub.sqlite").path
        let server = Task {
            await FinanceHubCommand.run(arguments: [
                "serve", "--port", "0", "--database", "sqlite:" + path, "--tick-rate", "20", "--seed", "3",
            ])
        }
        var tick: Tick?
        for _ in 0..<100 where tick == nil {
            try await Task.sleep(for: .milliseconds(100))
            if FileManager.default.fileExists(atPath: path) {
                let store = try SQLiteStore(path: path)
                tick = try? await store.latestTick(symbol: "BTC")
                try await store.close()
            }
        }
        server.cancel()
        let code = await server.value
        XCTAssertEqual(code, 0)
        XCTAssertNotNil(tick, "the simulated feed should write BTC ticks")
        let store = try SQLiteStore(path: path)
        let eurusd = try await store.asset("EURUSD")
        XCTAssertEqual(eurusd.assetClass, .fx)
        try await store.close()
    }
}
