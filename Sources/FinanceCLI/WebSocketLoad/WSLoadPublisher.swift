import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// Publishes ticks through `POST /api/ticks` for the load tool: `publishers` concurrent posters, batches of
/// `batchSize` ticks spread round-robin over the symbols, each tick stamped `ts` = now (ms) when its batch is built,
/// at `rate` ticks/s in total (paced on absolute deadlines, so a late batch is sent at once and counted as lagged) or
/// as fast as the server answers (`rate` 0). No batch starts after `seconds`, however late the schedule is.
struct WSLoadPublisher: Sendable {
    struct Plan: Sendable {
        var symbols: [String]
        var seconds: Double
        var rate: Double
        var batchSize: Int
        var publishers: Int
    }

    /// What was published: the ticks of a POST answered 201, or sent and never answered (timeout, connection
    /// closed: the server may have taken them), are expected on the clients; a POST refused is not.
    struct Outcome: Sendable {
        var acceptedPerSymbol: [Int]
        var posts = 0
        var failedPosts = 0
        var failedTicks = 0
        /// POSTs sent and never answered (their ticks stay expected).
        var unconfirmedPosts = 0
        var laggedBatches = 0
        var postMilliseconds: [Double] = []
        var firstError: String?

        init(symbols: Int) { self.acceptedPerSymbol = Array(repeating: 0, count: symbols) }

        var accepted: Int { self.acceptedPerSymbol.reduce(0, +) }

        mutating func merge(_ other: Outcome) {
            for index in self.acceptedPerSymbol.indices {
                self.acceptedPerSymbol[index] += other.acceptedPerSymbol[index]
            }
            self.posts += other.posts
            self.failedPosts += other.failedPosts
            self.failedTicks += other.failedTicks
            self.unconfirmedPosts += other.unconfirmedPosts
            self.laggedBatches += other.laggedBatches
            self.postMilliseconds += other.postMilliseconds
            self.firstError = self.firstError ?? other.firstError
        }
    }

    let http: HTTPClient
    /// `http://host:port/api/ticks`.
    let url: String
    let token: String

    func run(_ plan: Plan) async -> Outcome {
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int64(plan.seconds * 1_000))
        return await withTaskGroup(of: Outcome.self) { group in
            for publisher in 0..<plan.publishers {
                group.addTask { await self.publish(plan, publisher: publisher, start: start, end: end) }
            }
            var total = Outcome(symbols: plan.symbols.count)
            for await outcome in group { total.merge(outcome) }
            return total
        }
    }

    /// Publisher `publisher` sends batches `publisher`, `publisher + publishers`, ... until `end`.
    private func publish(_ plan: Plan, publisher: Int, start: ContinuousClock.Instant, end: ContinuousClock.Instant)
        async -> Outcome
    {
        var outcome = Outcome(symbols: plan.symbols.count)
        var batch = publisher
        while !Task.isCancelled, ContinuousClock.now < end {
            if plan.rate > 0 {
                let due = start + .microseconds(Int64(Double(batch * plan.batchSize) / plan.rate * 1_000_000))
                if due >= end { break }
                let now = ContinuousClock.now
                if due > now {
                    try? await Task.sleep(until: due, clock: .continuous)
                } else if now - due > .milliseconds(5) {
                    outcome.laggedBatches += 1
                }
            }
            let first = batch * plan.batchSize
            let body = Self.body(
                symbols: plan.symbols, first: first, count: plan.batchSize, ts: WallTime.milliseconds())
            let sent = ContinuousClock.now
            do {
                try await self.post(body)
                outcome.posts += 1
                outcome.postMilliseconds.append(BenchStats.milliseconds(ContinuousClock.now - sent))
            } catch let error as HTTPClientError
                where [.deadlineExceeded, .readTimeout, .remoteConnectionClosed].contains(error)
            {
                // Sent but not answered: the server may have taken it, so its ticks stay expected.
                outcome.unconfirmedPosts += 1
                if outcome.firstError == nil { outcome.firstError = "\(error)" }
            } catch {
                outcome.failedPosts += 1
                outcome.failedTicks += plan.batchSize
                if outcome.firstError == nil { outcome.firstError = "\(error)" }
                if plan.rate == 0 { try? await Task.sleep(for: .milliseconds(10)) }
                batch += plan.publishers
                continue
            }
            for n in first..<(first + plan.batchSize) { outcome.acceptedPerSymbol[n % plan.symbols.count] += 1 }
            batch += plan.publishers
        }
        return outcome
    }

    /// `[{"symbol":S,"ts":T,"price":P},...]`: ticks `first..<first+count`, tick `n` on symbol `n % symbols.count`.
    static func body(symbols: [String], first: Int, count: Int, ts: Int64) -> ByteBuffer {
        var text = "["
        text.reserveCapacity(count * 56)
        for n in first..<(first + count) {
            if n > first { text += "," }
            let cents = 10_000 + n % 1_000
            text +=
                #"{"symbol":""# + symbols[n % symbols.count] + #"","ts":"# + String(ts) + #","price":"#
                + String(cents / 100) + "." + String(cents % 100 / 10) + String(cents % 10) + "}"
        }
        text += "]"
        return ByteBuffer(string: text)
    }

    private func post(_ body: ByteBuffer) async throws {
        var request = HTTPClientRequest(url: self.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(self.token)")
        request.body = .bytes(body)
        let response = try await self.http.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            throw CLIFailure("POST /api/ticks answered \(response.status.code): \(String(buffer: answer).prefix(200))")
        }
    }

    /// Signs in through `POST /api/auth/login`; returns the access token.
    static func login(http: HTTPClient, base: String, user: String, password: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONSerialization.data(withJSONObject: ["username": user, "password": password])
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await http.execute(request, timeout: .seconds(30))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: answer)) as? [String: Any],
            let token = object["access_token"] as? String
        else {
            throw CLIFailure("sign-in as \(user) failed: HTTP \(response.status.code)")
        }
        return token
    }
}
