import FinanceApp
import FinanceCore
import Foundation
import Hummingbird

/// What a portfolio body (POST and PUT) sets.
struct PortfolioInput {
    var name: String
    var cash: Double
    var holdings: [Holding]
}

extension PortfoliosController {
    /// Fields a body may carry. The read-only fields of a response are accepted and ignored, so that a portfolio read
    /// with GET can be sent back with PUT.
    static let inputFields: Set<String> = ["name", "cash", "holdings"]
    static let readOnlyFields: Set<String> = ["id", "value", "dayChange", "unrealizedPnl", "createdAt", "updatedAt"]
    static let holdingFields: Set<String> = ["symbol", "quantity", "costBasis"]
    static let readOnlyHoldingFields: Set<String> = ["price", "value", "dayChange", "unrealizedPnl"]

    /// Parses and checks a body, reporting every problem with its JSON pointer (`/holdings/2/quantity`); symbols are
    /// then looked up as a quote request finds them (422 at `/holdings/<i>/symbol` for one nothing knows).
    func readInput(_ request: Request, context: AppRequestContext) async throws -> PortfolioInput {
        guard case .object(let object) = try await JSONInput.parse(request, limit: self.maxBodyBytes) else {
            throw ValidationError(field: "", detail: "the body must be a JSON object")
        }
        let (input, issues) = Self.parse(object)
        guard issues.isEmpty, let input else { throw ValidationError(issues) }
        var admit: (@Sendable () throws -> Void)? = nil
        if let principal = context.principal, principal.isRateLimited {
            admit = self.onDemandLimiter.admission(user: principal.user, tier: principal.tier)
        }
        var unknown: [ValidationIssue] = []
        for (i, holding) in input.holdings.enumerated() {
            if try await self.symbols.isKnown(holding.symbol, admit: admit) { continue }
            unknown.append(
                ValidationIssue(
                    index: nil, field: "holdings/\(i)/symbol",
                    detail: "unknown symbol \(holding.symbol): no stored asset and no provider knows it"))
        }
        if !unknown.isEmpty { throw ValidationError(unknown) }
        return input
    }

    /// The input of a parsed body, or every problem found.
    static func parse(_ object: [String: JSONValue]) -> (PortfolioInput?, [ValidationIssue]) {
        var reader = FieldReader(object, index: nil)
        reader.rejectUnknown(Self.inputFields.union(Self.readOnlyFields))
        var name = ""
        switch object["name"] {
        case .string(let s):
            let length = s.unicodeScalars.count
            if s.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.fail("name", "name must not be empty")
            } else if length > Portfolio.maxNameLength {
                reader.fail("name", "name must be at most \(Portfolio.maxNameLength) characters, got \(length)")
            } else {
                name = reader.text("name") ?? ""
            }
        default:
            _ = reader.string("name", required: true)
        }
        let cash = reader.number("cash", required: false) ?? 0
        if cash.isFinite, abs(cash) > Validation.maxValue {
            reader.fail("cash", "cash must be a number from -1e30 to 1e30")
        }
        var issues = reader.issues
        var holdings: [Holding] = []
        switch object["holdings"] {
        case nil, .null?:
            break
        case .array(let items)?:
            if items.count > Portfolio.maxHoldings {
                issues.append(
                    ValidationIssue(
                        index: nil, field: "holdings",
                        detail: "a portfolio holds at most \(Portfolio.maxHoldings) holdings, got \(items.count)"))
                break
            }
            var seen: [String: Int] = [:]
            for (i, item) in items.enumerated() {
                let (holding, problems) = Self.holding(item, at: i)
                issues += problems
                guard let holding else { continue }
                if let first = seen[holding.symbol] {
                    issues.append(
                        ValidationIssue(
                            index: nil, field: "holdings/\(i)/symbol",
                            detail: "\(holding.symbol) is held already at /holdings/\(first): one holding per symbol"))
                    continue
                }
                seen[holding.symbol] = i
                holdings.append(holding)
            }
        case let other?:
            issues.append(
                ValidationIssue(
                    index: nil, field: "holdings", detail: "holdings must be an array, got \(other.typeName)"))
        }
        guard issues.isEmpty else { return (nil, issues) }
        return (PortfolioInput(name: name, cash: cash, holdings: holdings), [])
    }

    /// One holding of the body at index `i`, with its problems (pointers under `/holdings/<i>`).
    static func holding(_ item: JSONValue, at i: Int) -> (Holding?, [ValidationIssue]) {
        let prefix = "holdings/\(i)"
        guard case .object(let object) = item else {
            return (
                nil,
                [
                    ValidationIssue(
                        index: nil, field: prefix, detail: "each holding must be an object, got \(item.typeName)")
                ]
            )
        }
        var r = FieldReader(object, index: nil)
        for key in object.keys.sorted()
        where !Self.holdingFields.contains(key) && !Self.readOnlyHoldingFields.contains(key) {
            r.fail(Self.pointerToken(key), "unknown field \(key)")
        }
        var symbol: String?
        if let raw = r.string("symbol", required: true) {
            symbol = Symbol.normalize(raw)
            if symbol == nil { r.fail("symbol", HTTP.invalidSymbol(raw)) }
        }
        let quantity = r.number("quantity", required: true)
        if let quantity, quantity.isFinite, !(quantity > 0 && quantity <= Validation.maxValue) {
            r.fail("quantity", "quantity must be a number above 0, at most 1e30, got \(quantity)")
        }
        let costBasis = r.number("costBasis", required: true)
        if let costBasis, costBasis.isFinite, !(0...Validation.maxValue).contains(costBasis) {
            r.fail("costBasis", "costBasis must be a number from 0 to 1e30, got \(costBasis)")
        }
        let issues = r.issues.map { ValidationIssue(index: nil, field: "\(prefix)/\($0.field)", detail: $0.detail) }
        guard issues.isEmpty, let symbol, let quantity, let costBasis else { return (nil, issues) }
        return (Holding(symbol: symbol, quantity: quantity, costBasis: costBasis), [])
    }

    /// `name` as one JSON Pointer token (RFC 6901): `~` becomes `~0`, `/` becomes `~1`.
    private static func pointerToken(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
