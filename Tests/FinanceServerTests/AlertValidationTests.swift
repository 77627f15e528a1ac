import FinanceApp
import FinanceCore
import FinanceServer
import FinanceStorage
import FinanceTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// Alert bodies over HTTP on a real SQLite file: every condition type accepted with its parameters, and every
/// impossible value refused with a 422 whose JSON pointer goes into the nested body, writing nothing.
final class AlertValidationTests: TemporaryFolderTestCase {
    /// One accepted condition: the body's condition and the condition stored.
    private static let accepted: [(target: String, condition: String, expected: AlertCondition)] = [
        (#"{"symbol":"btc"}"#, #"{"type":"price_above","value":50000}"#, .priceAbove(50_000)),
        (#"{"symbol":"BTC"}"#, #"{"type":"price_below","value":0.5}"#, .priceBelow(0.5)),
        (#"{"symbol":"BTC"}"#, #"{"type":"price_crossing_up","value":70000}"#, .priceCrossingUp(70_000)),
        (#"{"symbol":"BTC"}"#, #"{"type":"price_crossing_down","value":60000.5}"#, .priceCrossingDown(60_000.5)),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"percent_change","percent":-5,"windowMinutes":60}"#,
            .percentChange(percent: -5, window: .minutes(60))
        ),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"percent_change","percent":2.5,"bars":20,"interval":"1h"}"#,
            .percentChange(percent: 2.5, window: .bars(20, .hour1))
        ),
        (
            #"{"symbol":"AAPL"}"#, #"{"type":"percent_change","percent":3,"since":"previous_close"}"#,
            .percentChange(percent: 3, window: .sincePreviousClose)
        ),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"rsi_overbought","period":9,"level":80,"interval":"15m"}"#,
            .rsiOverbought(period: 9, level: 80, interval: .minute15)
        ),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"rsi_oversold","interval":"1d"}"#,
            .rsiOversold(period: 14, level: 30, interval: .day1)
        ),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"golden_cross","interval":"1d"}"#,
            .goldenCross(fast: 50, slow: 200, average: .sma, interval: .day1)
        ),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"death_cross","fast":9,"slow":21,"average":"ema","interval":"1h"}"#,
            .deathCross(fast: 9, slow: 21, average: .ema, interval: .hour1)
        ),
        (
            #"{"symbol":"BTC"}"#, #"{"type":"volume_anomaly","ratio":3,"lookback":30,"interval":"5m"}"#,
            .volumeAnomaly(ratio: 3, lookback: 30, interval: .minute5)
        ),
        (
            #"{"symbol":"BTC"}"#,
            #"{"type":"pattern","patterns":["double_top","bull_flag"],"status":"confirmed","interval":"1h"}"#,
            .pattern(types: [.doubleTop, .bullFlag], status: .confirmed, interval: .hour1)
        ),
        (
            #"{"portfolio":"p-alice"}"#, #"{"type":"portfolio_value_above","value":100000}"#,
            .portfolioValueAbove(100_000)
        ),
        (#"{"portfolio":"p-alice"}"#, #"{"type":"portfolio_value_below","value":0}"#, .portfolioValueBelow(0)),
        (
            #"{"portfolio":"p-alice"}"#, #"{"type":"portfolio_change","percent":-3,"windowMinutes":1440}"#,
            .portfolioChange(percent: -3, windowMinutes: 1_440)
        ),
        (
            #"{"sector":"Information Technology"}"#, #"{"type":"sector_move","percent":2,"windowMinutes":60}"#,
            .sectorMove(percent: 2, windowMinutes: 60)
        ),
        (
            #"{"sector":"Crypto"}"#, #"{"type":"sector_move","percent":-4,"windowMinutes":30}"#,
            .sectorMove(percent: -4, windowMinutes: 30)
        ),
    ]

    func testEveryConditionTypeIsAcceptedAndStored() async throws {
        XCTAssertEqual(
            Set(Self.accepted.map(\.expected.typeName)), Set(AlertCondition.typeNames), "every type has a case")
        let (app, store) = try await self.alertApp()
        try await app.test(.router) { client in
            for (target, condition, expected) in Self.accepted {
                let r = try await client.send(
                    .post, "/api/alerts", json: alertBody(target: target, conditions: "[\(condition)]"),
                    token: aliceToken)
                XCTAssertEqual(r.status, .created, "\(condition): \(r.text)")
                guard let alert = r.alert else { continue }
                XCTAssertEqual(alert.conditions, [AlertConditionDocument(expected)], condition)
                let stored = try await store.alert(id: alert.id)
                XCTAssertEqual(stored.conditions, [expected], "\(condition) as stored")
            }
            let one = try await client.send(
                .post, "/api/alerts",
                json: alertBody(extra: #""trigger":{"mode":"once_per_bar","interval":"1h"}"#), token: aliceToken)
            XCTAssertEqual(one.alert?.trigger, AlertTriggerDocument(.oncePerBar(.hour1)))
        }
    }

    /// One refused body: what is wrong, and the pointers of the problems.
    private static let refused: [(body: String, pointers: [String])] = [
        (alertBody(conditions: #"[{"type":"rsi_oversold","period":0,"interval":"1h"}]"#), ["/conditions/0/period"]),
        (
            alertBody(
                conditions:
                    #"[{"type":"price_above","value":1},{"type":"golden_cross","fast":50,"slow":50,"interval":"1d"}]"#),
            ["/conditions/1/fast"]
        ),
        (
            alertBody(conditions: #"[{"type":"death_cross","fast":200,"slow":50,"interval":"1d"}]"#),
            ["/conditions/0/fast"]
        ),
        (alertBody(conditions: #"[{"type":"volume_anomaly","ratio":1,"interval":"1h"}]"#), ["/conditions/0/ratio"]),
        (alertBody(conditions: #"[{"type":"volume_anomaly","ratio":0.5,"interval":"1h"}]"#), ["/conditions/0/ratio"]),
        (alertBody(extra: #""expiresAt":"2020-01-01""#), ["/expiresAt"]),
        (alertBody(extra: #""expiresAt":"next week""#), ["/expiresAt"]),
        (
            alertBody(
                conditions:
                    #"[{"type":"pattern","patterns":["double_top","cup"],"status":"confirmed","interval":"1h"}]"#),
            ["/conditions/0/patterns/1"]
        ),
        (
            alertBody(
                conditions: #"[{"type":"pattern","patterns":["double_top"],"status":"confirmed","interval":"4h"}]"#),
            ["/conditions/0/interval"]
        ),
        (
            alertBody(
                conditions: #"[{"type":"pattern","patterns":["double_top"],"status":"forming","interval":"1h"}]"#),
            ["/conditions/0/status"]
        ),
        (
            alertBody(
                extra:
                    #""channels":[{"type":"websocket"},{"type":"webhook","url":"ftp://x.example.com","secret":"0123456789"}]"#
            ),
            ["/channels/1/url"]
        ),
        (alertBody(extra: #""channels":[{"type":"webhook","url":"https://x.example.com"}]"#), ["/channels/0/secret"]),
        (
            alertBody(extra: #""channels":[{"type":"webhook","url":"https://x.example.com","secret":"short"}]"#),
            ["/channels/0/secret"]
        ),
        (alertBody(extra: #""channels":[{"type":"email","to":"not an address"}]"#), ["/channels/0/to"]),
        (alertBody(extra: #""channels":[{"type":"email","to":"a@b"}]"#), ["/channels/0/to"]),
        (
            alertBody(extra: #""channels":[{"type":"push","url":"https://ntfy.sh/x","format":"pushover"}]"#),
            ["/channels/0/format"]
        ),
        (alertBody(extra: #""channels":[{"type":"sms","to":"+1"}]"#), ["/channels/0/type"]),
        (alertBody(extra: #""channels":[]"#), ["/channels"]),
        (alertBody(target: #"{"symbol":"NOSUCH"}"#), ["/target/symbol"]),
        (alertBody(target: #"{"symbol":"BAD SYMBOL"}"#), ["/target/symbol"]),
        (alertBody(target: #"{"symbol":"BTC","sector":"Crypto"}"#), ["/target/sector"]),
        (alertBody(target: #"{}"#), ["/target"]),
        (
            alertBody(target: #"{"portfolio":"p-bob"}"#, conditions: #"[{"type":"portfolio_value_above","value":1}]"#),
            ["/target/portfolio"]
        ),
        (
            alertBody(
                target: #"{"sector":"Utilities"}"#,
                conditions: #"[{"type":"sector_move","percent":1,"windowMinutes":5}]"#), ["/target/sector"]
        ),
        (alertBody(conditions: #"[{"type":"portfolio_value_above","value":1}]"#), ["/conditions/0/type"]),
        (alertBody(extra: #""trigger":{"mode":"once_per_bar"}"#), ["/trigger/interval"]),
        (alertBody(extra: #""trigger":{"mode":"once","interval":"1h"}"#), ["/trigger/interval"]),
        (alertBody(extra: #""trigger":{"mode":"every_time","cooldownSeconds":-1}"#), ["/trigger/cooldownSeconds"]),
        (alertBody(extra: #""trigger":{"mode":"sometimes"}"#), ["/trigger/mode"]),
        (alertBody(conditions: #"[{"type":"price_crossing_sideways","value":1}]"#), ["/conditions/0/type"]),
        (alertBody(conditions: #"[{"type":"price_above","value":-1}]"#), ["/conditions/0/value"]),
        (alertBody(conditions: #"[{"type":"price_above","value":"100"}]"#), ["/conditions/0/value"]),
        (alertBody(conditions: #"[{"type":"price_above","value":1,"period":3}]"#), ["/conditions/0/period"]),
        (
            alertBody(conditions: #"[{"type":"percent_change","percent":0,"windowMinutes":5}]"#),
            ["/conditions/0/percent"]
        ),
        (
            alertBody(conditions: #"[{"type":"percent_change","percent":-100,"windowMinutes":5}]"#),
            ["/conditions/0/percent"]
        ),
        (
            alertBody(
                conditions: #"[{"type":"percent_change","percent":1,"windowMinutes":5,"bars":3,"interval":"1m"}]"#),
            ["/conditions/0/bars"]
        ),
        (alertBody(conditions: #"[{"type":"percent_change","percent":1,"bars":3}]"#), ["/conditions/0/interval"]),
        (alertBody(conditions: #"[{"type":"percent_change","percent":1}]"#), ["/conditions/0/windowMinutes"]),
        (alertBody(conditions: #"[{"type":"rsi_overbought","level":100,"interval":"1h"}]"#), ["/conditions/0/level"]),
        (
            alertBody(conditions: #"[{"type":"rsi_overbought","period":14.5,"interval":"1h"}]"#),
            ["/conditions/0/period"]
        ),
        (alertBody(conditions: #"[{"type":"rsi_overbought","interval":"2h"}]"#), ["/conditions/0/interval"]),
        (
            alertBody(conditions: #"[{"type":"golden_cross","average":"wma","interval":"1d"}]"#),
            ["/conditions/0/average"]
        ),
        (alertBody(conditions: #"[]"#), ["/conditions"]),
        (alertBody(conditions: #"[7]"#), ["/conditions/0"]),
        (#"{"target":{"symbol":"BTC"},"conditions":[{"type":"price_above","value":1}]}"#, ["/name"]),
        (alertBody(name: #""""#), ["/name"]),
        (alertBody(extra: #""colour":"red""#), ["/colour"]),
        (alertBody(extra: #""combine":"most""#), ["/combine"]),
        (alertBody(extra: #""enabled":"yes""#), ["/enabled"]),
        ("[1]", [""]),
        // Every problem at once.
        (
            alertBody(
                name: "5", target: #"{"symbol":"???"}"#,
                conditions:
                    #"[{"type":"rsi_oversold","period":0,"interval":"1h"},{"type":"golden_cross","fast":9,"slow":9,"interval":"1d"}]"#,
                extra:
                    #""trigger":{"mode":"once_per_bar"},"channels":[{"type":"websocket"},{"type":"webhook","url":"mailto:x@y.z","secret":"0123456789"}]"#
            ),
            [
                "/name", "/target/symbol", "/conditions/0/period", "/conditions/1/fast", "/trigger/interval",
                "/channels/1/url",
            ]
        ),
    ]

    func testImpossibleValuesAre422NamingTheNestedMember() async throws {
        let (app, store) = try await self.alertApp()
        try await app.test(.router) { client in
            for (body, pointers) in Self.refused {
                let r = try await client.send(.post, "/api/alerts", json: body, token: aliceToken)
                XCTAssertEqual(r.status, .unprocessableContent, "\(body): \(r.text)")
                XCTAssertEqual(r.headers[.contentType], "application/problem+json")
                XCTAssertEqual(Set(r.problemPointers), Set(pointers), body)
            }
            let count = try await store.alertCount(owner: "alice")
            XCTAssertEqual(count, 0, "nothing was written")

            // A PUT is checked the same way and changes nothing when refused.
            let created = try await client.send(.post, "/api/alerts", json: alertBody(), token: aliceToken)
            let id = try XCTUnwrap(created.alert?.id)
            let put = try await client.send(
                .put, "/api/alerts/\(id)",
                json: alertBody(conditions: #"[{"type":"rsi_oversold","period":0,"interval":"1h"}]"#), token: aliceToken
            )
            XCTAssertEqual(put.problemPointers, ["/conditions/0/period"])
            let stored = try await store.alert(id: id)
            XCTAssertEqual(stored.conditions, [.priceAbove(100)])
            let malformed = try await client.send(.post, "/api/alerts", json: #"{"name":"#, token: aliceToken)
            XCTAssertEqual(malformed.status, .badRequest)
        }
    }

    func testAnOversizedBodyIs413AndAPortfolioOverTheHoldingLimitIs422WritingNothing() async throws {
        let (app, store) = try await self.alertApp()
        try await app.test(.router) { client in
            // An alert body over 64 KiB: refused before it is parsed.
            let long = String(repeating: "x", count: 70 * 1_024)
            let alert = try await client.send(
                .post, "/api/alerts", json: alertBody(name: "\"\(long)\""), token: aliceToken)
            XCTAssertEqual(alert.status, .contentTooLarge, alert.text)
            XCTAssertEqual(alert.headers[.contentType], "application/problem+json")
            let count = try await store.alertCount(owner: "alice")
            XCTAssertEqual(count, 0)
            // A portfolio of more holdings than a portfolio may hold.
            let holdings = (0...Portfolio.maxHoldings).map { _ in #"{"symbol":"BTC","quantity":1,"costBasis":1}"# }
            let portfolio = try await client.send(
                .post, "/api/portfolios",
                json: #"{"name":"Huge","cash":0,"holdings":[\#(holdings.joined(separator: ","))]}"#, token: aliceToken)
            XCTAssertEqual(portfolio.status, .unprocessableContent, portfolio.text)
            XCTAssertEqual(portfolio.problemPointers, ["/holdings"])
            let portfolios = try await store.portfolios(owner: "alice", after: nil, limit: 10)
            XCTAssertEqual(portfolios.count, 0)
        }
    }
}
