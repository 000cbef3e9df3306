import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import WharfCore
import WharfStorage
import WharfUpstream

/// What the gateway needs to relay a request, shared by every connection: in-memory snapshots of keys, channels and
/// prices, the balance book, rate limits, the upstream pool and the usage writer. Its methods are synchronous and
/// touch no database: admission and billing run on the event loop of the client's connection.
///
/// Billing policy (README, "Billing policy"): the hold is an admission check, not a price ceiling: the estimated
/// prompt (the whole body) plus the output allowance (`max_tokens` or the configured default) times the choices
/// asked for (`n`, `best_of`). The charge is the provider's reported usage at the model's price, whatever the hold
/// was. Without reported usage (absent, a cut stream, a client that left and a drain that ran out), the charge is
/// the prompt estimate plus the estimate of all text the upstream produced. Any 2xx answer costs at least its prompt
/// estimate; an upstream failure before any answer costs nothing.
public final class RelayEngine: Sendable {
    let snapshots: SnapshotStore
    let book: BalanceBook
    let pool: UpstreamConnectionPool
    let health: ChannelHealthBoard
    let writer: UsageWriter
    let limiter: RateLimiter
    let auth: KeyAuthenticator
    let config: WharfConfig
    let clock: WharfClock

    /// Creates the engine.
    public init(
        snapshots: SnapshotStore, book: BalanceBook, pool: UpstreamConnectionPool, health: ChannelHealthBoard,
        writer: UsageWriter, config: WharfConfig, clock: WharfClock
    ) {
        self.snapshots = snapshots
        self.book = book
        self.pool = pool
        self.health = health
        self.writer = writer
        self.limiter = RateLimiter(defaultPerMinute: config.keyRequestsPerMinute)
        self.auth = KeyAuthenticator(config: config, clock: clock)
        self.config = config
        self.clock = clock
    }

    /// An endpoint of the gateway that is relayed upstream.
    enum Endpoint: String, Sendable {
        case chat = "chat/completions"
        case completions
        case embeddings
        case responses
        /// Anthropic Messages (`/v1/messages`, also with `?beta=true`).
        case messages
        /// Anthropic token counting (`/v1/messages/count_tokens`): never billed, never a generating call.
        case countTokens = "messages/count_tokens"

        /// The path on an OpenAI-dialect upstream, after its base URL.
        var path: String { "/" + rawValue }
        /// The channel capability the endpoint needs.
        var capability: String {
            switch self {
            case .chat, .messages, .countTokens: "chat"
            case .completions: "completions"
            case .embeddings: "embeddings"
            case .responses: "responses"
            }
        }

        /// The dialect the client speaks on this endpoint: its errors and answers come in it.
        var dialect: Dialect {
            switch self {
            case .messages, .countTokens: .anthropicMessages
            case .chat, .completions, .embeddings, .responses: .openAIChat
            }
        }

        /// Whether a channel of another dialect can serve the endpoint (through translation): only conversations.
        var translatable: Bool { self == .chat || self == .messages || self == .countTokens }

        /// The endpoint a `POST` to `path` (query string and trailing slashes ignored) is for, if it is relayed.
        /// Compares bytes: it runs for every request.
        init?(requestPath path: String) {
            var path = path
            guard let found = path.withUTF8({ Endpoint(requestTarget: $0) }) else { return nil }
            self = found
        }

        /// The endpoint for the bytes of a request target (see ``init(requestPath:)``).
        init?(requestTarget bytes: UnsafeBufferPointer<UInt8>) {
            var end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count
            while end > 1 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
            let trimmed = UnsafeBufferPointer(rebasing: bytes[..<end])
            for endpoint in Self.all {
                let matches = endpoint.requestPathBytes.withUTF8Buffer { path in
                    path.count == trimmed.count && path.elementsEqual(trimmed)
                }
                if matches {
                    self = endpoint
                    return
                }
            }
            return nil
        }

        static let all: [Endpoint] = [.chat, .completions, .embeddings, .responses, .messages, .countTokens]

        /// The gateway's own path of the endpoint.
        var requestPath: String { requestPathBytes.description }

        private var requestPathBytes: StaticString {
            switch self {
            case .chat: "/v1/chat/completions"
            case .completions: "/v1/completions"
            case .embeddings: "/v1/embeddings"
            case .responses: "/v1/responses"
            case .messages: "/v1/messages"
            case .countTokens: "/v1/messages/count_tokens"
            }
        }
    }

    /// The caller, known from the request head alone.
    struct Caller {
        let key: RuntimeSnapshot.Key
        let address: String?
        /// The address as usage records keep it (see `client_ip`).
        let storedAddress: String?
        let snapshot: RuntimeSnapshot
    }

    /// What a connection's requests share, remembered from one request to the next: the client address in its stored
    /// form, and the key its credential named.
    struct ConnectionMemo {
        private var address: (address: String?, stored: String?)?
        var key: KeyAuthenticator.KeyMemo?

        mutating func stored(_ address: String?, mode: String) -> String? {
            if let last = self.address, last.address == address { return last.stored }
            let stored = ClientAddress.stored(address, mode: mode)
            self.address = (address, stored)
            return stored
        }
    }

    /// Checks the key, its address allowlist, its rate limit and the declared body size, before any body is read.
    func admit(_ head: RelayRequestHead, peer: String?, memo: inout ConnectionMemo) throws(OpenAIError) -> Caller {
        let snapshot = snapshots.snapshot
        let address = KeyAuthenticator.effectiveAddress(
            peer: peer, forwardedFor: head.forwardedFor, trustedProxies: config.trustedProxies)
        let key = try auth.authenticate(
            authorization: head.authorization, apiKey: head.apiKey, address: address, snapshot, memo: &memo.key)
        let admitted = limiter.admit(
            keyID: key.id, perMinute: key.policy.requestsPerMinute, now: clock.monotonicMillis())
        guard admitted.allowed else {
            throw OpenAIError(
                .tooManyRequests,
                "Rate limit reached for this API key; retry in \(admitted.retryAfterSeconds) s.",
                type: "requests", code: "rate_limit_exceeded")
        }
        if let length = head.contentLength, length > config.maxBodyBytes {
            throw tooLarge()
        }
        // Charges that cannot be written past their bound: serving would be serving unbilled.
        if writer.refusesNewRequests {
            throw OpenAIError(
                .serviceUnavailable,
                "The gateway cannot record charges right now, so it takes no new requests; retry later.",
                type: "server_error", code: "billing_unavailable")
        }
        return Caller(
            key: key, address: address, storedAddress: memo.stored(address, mode: config.clientIPMode),
            snapshot: snapshot)
    }

    /// Everything decided before the first upstream attempt. A class: the exchange reads it at every step, and a
    /// copy of the struct retained each of its parts.
    final class Plan {
        let endpoint: Endpoint
        let caller: Caller
        let body: RelayRequestBody
        /// The body as received, sent on unchanged when no edit is needed.
        let received: ByteBuffer
        let price: ModelPrice
        let promptEstimate: Int64
        let reservation: Reservation
        /// Channels in the order to try them.
        let targets: [UpstreamTarget]
        /// A streamed chat or completion: upstream is asked for usage (`stream_options.include_usage`).
        let askForUsage: Bool
        let started: Int64
        /// The request in the intermediate representation, when a channel of another dialect may serve it.
        let ir: IRRequest?

        /// The gateway asked upstream for usage the client did not ask for: hide the usage chunk.
        var stripUsage: Bool { askForUsage && !body.clientRequestedUsage }

        init(
            endpoint: Endpoint, caller: Caller, body: RelayRequestBody, received: ByteBuffer, price: ModelPrice,
            promptEstimate: Int64, reservation: Reservation, targets: [UpstreamTarget], askForUsage: Bool,
            started: Int64, ir: IRRequest?
        ) {
            self.ir = ir
            self.endpoint = endpoint
            self.caller = caller
            self.body = body
            self.received = received
            self.price = price
            self.promptEstimate = promptEstimate
            self.reservation = reservation
            self.targets = targets
            self.askForUsage = askForUsage
            self.started = started
        }
    }

    /// Parses the body, checks the model against the key, picks the channels and holds the maximum cost.
    func plan(_ endpoint: Endpoint, caller: Caller, body bytes: ByteBuffer, started: Int64) throws(OpenAIError)
        -> Plan
    {
        guard bytes.readableBytes > 0 else {
            throw OpenAIError.invalidRequest("The request body is empty; send a JSON object.")
        }
        let body: RelayRequestBody
        do {
            body = try RelayRequestBody(bytes: Array(bytes.readableBytesView))
        } catch .missingModel {
            throw OpenAIError.invalidRequest("You must provide a model parameter.", param: "model")
        } catch .duplicateMember(let name) {
            throw OpenAIError.invalidRequest(
                "The request body has more than one '\(name)' member; send each member once.", param: name)
        } catch {
            throw OpenAIError.invalidRequest("We could not parse the JSON body of your request: \(error.description).")
        }
        let model = body.model
        let key = caller.key
        guard key.policy.allows(model: model) else {
            throw OpenAIError(
                .forbidden, "This API key is not allowed to use the model '\(model)'.", type: "permission_error",
                code: "model_not_allowed", param: "model")
        }
        // A channel of another dialect serves only conversations (translated); other endpoints need OpenAI's.
        var targets = (caller.snapshot.routes[model] ?? []).filter {
            $0.channel.capabilities.contains(endpoint.capability)
                && ($0.dialect == endpoint.dialect || endpoint.translatable)
        }
        guard !targets.isEmpty, let price = caller.snapshot.prices[model] else { throw .modelNotFound(model) }
        // The key's (and its account's) transfer constraints: only channels whose declared region and data policy
        // satisfy them, on the first attempt and every failover; with none, nothing is sent upstream (promise P10).
        let transfer = key.policy.transfer
        if transfer != .none {
            targets.removeAll { !transfer.allows($0.channel) }
            if targets.isEmpty { throw .noCompliantChannel(model: model, transfer) }
        }
        // Read into the intermediate representation only when some channel needs the request translated (the same
        // dialect relays the client's bytes). A request the translators cannot carry (an OpenAI `n`, an audio part)
        // still goes to the channels of its own dialect; with none, it is refused with the reason.
        var ir: IRRequest?
        if targets.contains(where: { $0.dialect != endpoint.dialect }) {
            do {
                ir =
                    endpoint.dialect == .anthropicMessages
                    ? try AnthropicRequestDecoder.decode(body.bytes) : try OpenAIChatRequestDecoder.decode(body.bytes)
            } catch {
                targets.removeAll { $0.dialect != endpoint.dialect }
                if targets.isEmpty { throw OpenAIError.invalidRequest(error.message, param: error.param) }
            }
        }
        let promptTokens = TokenEstimator.promptTokens(bodyBytes: body.bodyBytes)
        let maxOutput = endpoint == .embeddings ? 0 : (body.maxOutputTokens ?? config.defaultMaxOutputTokens)
        let (allOutput, overflow) = maxOutput.multipliedReportingOverflow(by: body.choices)
        let holdAmount = price.cost(
            of: TokenUsage(promptTokens: promptTokens, completionTokens: overflow ? Int64.max : allOutput))
        guard
            let reservation = book.reserve(
                userID: key.userID, keyID: key.id, amount: holdAmount, keyLimit: key.policy.spendLimit)
        else { throw .insufficientQuota }
        var rng = BatchedSystemRandom()
        let ordered = RoutePlanner.order(
            targets, priority: { $0.channel.priority }, weight: { $0.channel.weight }, using: &rng)
        let askForUsage = body.stream && (endpoint == .chat || endpoint == .completions)
        return Plan(
            endpoint: endpoint, caller: caller, body: body, received: bytes, price: price,
            promptEstimate: promptTokens, reservation: reservation, targets: ordered, askForUsage: askForUsage,
            started: started, ir: ir)
    }

    /// The time limits of client connections.
    var clientLimits: ClientDeadlines.Limits {
        ClientDeadlines.Limits(
            idle: config.clientIdleTimeoutMillis, head: config.clientHeaderTimeoutMillis,
            body: config.clientBodyTimeoutMillis, stall: config.clientStallTimeoutMillis)
    }

    func tooLarge() -> OpenAIError {
        OpenAIError(
            .contentTooLarge, "The request body exceeds the limit of \(config.maxBodyBytes) bytes.",
            type: "invalid_request_error", code: "request_too_large")
    }

    /// Maps an upstream failure to what the client sees: no upstream URL, key, price or body.
    static func clientError(for error: UpstreamError) -> OpenAIError {
        switch error {
        case .rejected(let reduced):
            let status = HTTPResponse.Status(code: reduced.status)
            var message = "The upstream provider rejected the request (status \(reduced.status)"
            if let type = reduced.type { message += ", type \(type)" }
            if let code = reduced.code { message += ", code \(code)" }
            message += ")."
            return OpenAIError(status, message, type: reduced.type ?? "invalid_request_error", code: reduced.code)
        case .noneAvailable:
            return OpenAIError(
                .serviceUnavailable, "No upstream is available for this model right now; retry later.",
                type: "server_error", code: "upstream_unavailable")
        case .allFailed(_, let lastStatus) where lastStatus == 429:
            // Every channel said "too many requests": the client should slow down and retry, as with Wharf's own limit.
            return OpenAIError(
                .tooManyRequests,
                "The upstream providers are rate limiting this model right now; you were not charged. Retry later.",
                type: "rate_limit_error", code: "upstream_rate_limited")
        case .allFailed(_, let lastStatus) where lastStatus == 529 || lastStatus == 503:
            return OpenAIError(
                .serviceUnavailable,
                "The upstream providers are overloaded right now; you were not charged. Retry later.",
                type: "server_error", code: "upstream_overloaded")
        case .allFailed:
            return OpenAIError(
                .badGateway, "The upstream providers failed to answer this request; you were not charged.",
                type: "server_error", code: "upstream_error")
        }
    }

    /// Queues the usage record for the batched writer, which also charges its cost.
    func record(
        _ plan: Plan, channelID: String?, usage: TokenUsage, cost: Money, firstByte: Int64?, status: String
    ) {
        let key = plan.caller.key
        let now = clock.nowMillis()
        let id = WharfID.timeOrdered("req", nowMillis: now)
        var usageRecord = UsageRecord(
            id: id, createdAt: now, userID: key.userID, keyID: key.id, model: plan.body.model,
            channelID: channelID, endpoint: plan.endpoint.rawValue, usage: usage, cost: cost,
            latencyMillis: clock.monotonicMillis() - plan.started,
            timeToFirstTokenMillis: firstByte.map { $0 - plan.started }, status: status, stream: plan.body.stream,
            clientIP: plan.caller.storedAddress)
        if let channelID { usageRecord.region = plan.targets.first { $0.channel.id == channelID }?.channel.region }
        writer.enqueue(usageRecord)
        plan.reservation.recorded()
    }
}
