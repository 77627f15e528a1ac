import FinanceApp
import FinanceCore
import NIOCore

/// What `/ws` does with each client message (docs/websocket.md): rate limit, parse, act, reply.
extension StreamSession {
    /// Handles one complete text message.
    func handle(_ bytes: ByteBuffer) async {
        let now = self.clock.nowMilliseconds()
        guard self.state.withLock({ $0.messages.take(now: now) }) else {
            StreamMetrics.dropped.increment()
            self.violation(.flood)
            let limit = self.limits.messagesPerSecond
            self.reply(StreamMessages.error(.rateLimited, "rate limited: at most \(limit) messages per second"))
            return
        }
        let message: StreamClientMessage
        do {
            message = try StreamClientMessage(bytes)
        } catch {
            self.violation(.malformedFrame)
            self.reply(StreamMessages.error(.invalidMessage, error.message))
            return
        }
        switch message {
        case .ping: self.reply(StreamMessages.pong)
        case .auth(let token): await self.authenticate(token)
        case .refresh(let token): await self.refresh(token)
        case .subscribe(let channels, let symbols): await self.change(channels, symbols, subscribe: true)
        case .unsubscribe(let channels, let symbols): await self.change(channels, symbols, subscribe: false)
        }
    }

    /// The limits of the connection's tier (free before authentication).
    var limits: StreamTierLimits { self.settings.limits(self.connection.principal?.tier ?? .free) }

    /// Starts the per-tier rate limits once the tier is known.
    func startLimits(_ tier: UserTier) {
        let limits = self.settings.limits(tier)
        self.state.withLock { state in
            state.messages = StreamTokenBucket(capacity: limits.messagesPerSecond, periodMilliseconds: 1_000)
            state.subscribes = StreamTokenBucket(capacity: limits.subscriptionsPerMinute, periodMilliseconds: 60_000)
        }
    }

    /// `{"action":"auth","token"}`: a failed token is error 402 and close 1008; a user at `maxConnections` error 406
    /// and close 1008; else `{"type":"authenticated"}`.
    private func authenticate(_ token: String) async {
        guard self.connection.principal == nil else {
            self.reply(StreamMessages.error(.invalidMessage, "already authenticated: use refresh to replace the token"))
            return
        }
        let principal: Principal
        do {
            principal = try await self.auth.verify(accessToken: token)
        } catch {
            self.violation(.badToken)
            self.connection.requestClose(
                code: 1008, reason: "auth failed", message: StreamMessages.error(.authFailed, "auth failed: \(error)"))
            return
        }
        guard self.hub.admit(self.connection, as: principal) else {
            let limit = self.settings.limits(principal.tier).maxConnections
            self.connection.requestClose(
                code: 1008, reason: "connection limit",
                message: StreamMessages.error(
                    .connectionLimit,
                    "connection limit: at most \(limit) open WebSockets for the \(principal.tier) tier"))
            return
        }
        self.startLimits(principal.tier)
        self.reply(StreamMessages.authenticated(principal))
    }

    /// `{"action":"refresh","token"}`: a valid token of the same user replaces the connection's expiry; a failed
    /// one is error 402 (the connection keeps its old token until it expires).
    private func refresh(_ token: String) async {
        guard var current = self.connection.principal else {
            self.reply(StreamMessages.error(.notAuthenticated, "not authenticated: send {\"action\":\"auth\"} first"))
            return
        }
        let principal: Principal
        do {
            principal = try await self.auth.verify(accessToken: token)
        } catch {
            self.reply(StreamMessages.error(.authFailed, "refresh failed: \(error)"))
            return
        }
        guard principal.user == current.user else {
            self.reply(StreamMessages.error(.authFailed, "refresh failed: the token is another user's"))
            return
        }
        // The tier the connection was admitted and counted under stays; the expiry and token id are the new ones.
        current.expiresAt = principal.expiresAt
        current.tokenId = principal.tokenId
        self.connection.principal = current
        self.reply(StreamMessages.authenticated(current))
    }

    /// `subscribe` / `unsubscribe`, checked in order: syntax (done by the parser, 400), the `monitoring` channel
    /// (admins), the symbol limit (405, the whole message rejected), the rate (429). Then `{"type":"subscribed"}`
    /// and a snapshot of each new (channel, symbol): the latest price, quote or bar.
    private func change(_ channels: [StreamChannel], _ symbols: [String], subscribe: Bool) async {
        guard let principal = self.connection.principal else {
            self.reply(StreamMessages.error(.notAuthenticated, "not authenticated: send {\"action\":\"auth\"} first"))
            return
        }
        if subscribe, channels.contains(.monitoring), principal.role != .admin {
            self.reply(StreamMessages.error(.invalidMessage, "channels: the monitoring channel is for admins"))
            return
        }
        let old = self.connection.subscriptions
        let new = subscribe ? old.adding(channels, symbols) : old.removing(channels, symbols)
        let limits = self.limits
        if subscribe, new.symbolCount > limits.maxSymbols {
            self.reply(
                StreamMessages.error(
                    .symbolLimit,
                    "symbol limit: at most \(limits.maxSymbols) symbols per connection; this would make \(new.symbolCount)"
                ))
            return
        }
        let now = self.clock.nowMilliseconds()
        guard self.state.withLock({ $0.subscribes.take(now: now) }) else {
            self.reply(
                StreamMessages.error(
                    .rateLimited,
                    "rate limited: at most \(limits.subscriptionsPerMinute) subscription changes per minute"))
            return
        }
        var first = [StreamMessages.subscribed(new)]
        var storedBars: [StreamHub.BarKey: Bar] = [:]
        for (channel, symbol) in new.pairs(notIn: old) {
            switch channel {
            case .price:
                if let quote = try? await self.hub.quotes?.quote(symbol: symbol) {
                    first.append(StreamMessages.price(of: quote))
                }
            case .quotes:
                if let quote = try? await self.hub.quotes?.quote(symbol: symbol) {
                    first.append(StreamMessages.quote(quote, snapshot: true))
                }
            case .bars(let interval):
                let latest = try? await self.barQueries?.bars(
                    symbol: symbol, interval: interval, from: nil, to: nil, limit: 1, now: now
                ).last
                if let latest { storedBars[StreamHub.BarKey(symbol: symbol, interval: interval)] = latest }
            case .alerts, .monitoring: break
            }
        }
        self.hub.update(self.connection, to: new, first: first, storedBars: storedBars)
    }
}
