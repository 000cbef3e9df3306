import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WharfCore
import WharfStorage
import WharfUpstream

/// The OpenAI-compatible gateway: `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/responses` and
/// `/v1/models`.
///
/// Request path: key (from the in-memory snapshot) → body read once and inspected in place → hold on the in-memory
/// balance book → route (snapshot) → upstream with failover → response relayed (streams chunk by chunk) → settle
/// and queue the usage record for the batched writer. No database query on this path.
///
/// Billing policy: the hold is the cost of the estimated prompt plus `max_tokens` (or the configured default);
/// the charge is the provider's reported usage, capped at the hold. A stream cut by upstream or the client is billed
/// for the prompt plus the output actually delivered (estimated when upstream sent no usage); a request that
/// delivered no output (upstream failure, or nothing sent before a disconnect) costs nothing.
public struct RelayController: Sendable {
    let snapshots: SnapshotStore
    let book: BalanceBook
    let upstream: UpstreamClient
    let writer: UsageWriter
    let limiter: RateLimiter
    let auth: KeyAuthenticator
    let config: WharfConfig
    let clock: WharfClock
    let logger: Logger

    /// Creates the controller.
    public init(
        snapshots: SnapshotStore, book: BalanceBook, upstream: UpstreamClient, writer: UsageWriter,
        config: WharfConfig, clock: WharfClock, logger: Logger
    ) {
        self.snapshots = snapshots
        self.book = book
        self.upstream = upstream
        self.writer = writer
        self.limiter = RateLimiter(defaultPerMinute: config.keyRequestsPerMinute)
        self.auth = KeyAuthenticator(config: config, clock: clock)
        self.config = config
        self.clock = clock
        self.logger = logger
    }

    /// An endpoint of the gateway.
    enum Endpoint: String, Sendable {
        case chat = "chat/completions"
        case completions
        case embeddings
        case responses

        var path: String { "/" + rawValue }
        /// The channel capability the endpoint needs.
        var capability: String {
            switch self {
            case .chat: "chat"
            case .completions: "completions"
            case .embeddings: "embeddings"
            case .responses: "responses"
            }
        }
    }

    /// Adds the routes to `router`.
    public func addRoutes(to router: Router<WharfRequestContext>) {
        let v1 = router.group("v1")
        v1.post("chat/completions") { request, context in try await relay(.chat, request, context) }
        v1.post("completions") { request, context in try await relay(.completions, request, context) }
        v1.post("embeddings") { request, context in try await relay(.embeddings, request, context) }
        v1.post("responses") { request, context in try await relay(.responses, request, context) }
        v1.get("models") { request, context in try listModels(request, context) }
    }

    func listModels(_ request: Request, _ context: WharfRequestContext) throws -> Response {
        let snapshot = snapshots.snapshot
        let key = try auth.authenticate(request, address: auth.clientAddress(request, context), snapshot)
        let models = snapshot.routes.keys
            .filter { key.policy.allows(model: $0) && snapshot.prices[$0] != nil }
            .sorted()
        var body = "{\"object\":\"list\",\"data\":["
        body += models.map {
            "{\"id\":\(JSONText.quotedString($0)),\"object\":\"model\",\"created\":0,\"owned_by\":\"wharf\"}"
        }.joined(separator: ",")
        body += "]}"
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func relay(_ endpoint: Endpoint, _ request: Request, _ context: WharfRequestContext) async throws -> Response {
        let started = clock.monotonicMillis()
        let snapshot = snapshots.snapshot
        let address = auth.clientAddress(request, context)
        let key = try auth.authenticate(request, address: address, snapshot)
        let admitted = limiter.admit(
            keyID: key.id, perMinute: key.policy.requestsPerMinute, now: clock.monotonicMillis())
        guard admitted.allowed else {
            throw OpenAIError(
                .tooManyRequests,
                "Rate limit reached for this API key; retry in \(admitted.retryAfterSeconds) s.",
                type: "requests", code: "rate_limit_exceeded")
        }
        let body = try await readBody(request)
        let model = body.model
        guard key.policy.allows(model: model) else {
            throw OpenAIError(
                .forbidden, "This API key is not allowed to use the model '\(model)'.", type: "permission_error",
                code: "model_not_allowed", param: "model")
        }
        let targets = (snapshot.routes[model] ?? []).filter { $0.channel.capabilities.contains(endpoint.capability) }
        guard !targets.isEmpty, let price = snapshot.prices[model] else { throw OpenAIError.modelNotFound(model) }

        let promptTokens = TokenEstimator.promptTokensForHold(bytes: body.promptBytes)
        let maxOutput = endpoint == .embeddings ? 0 : (body.maxOutputTokens ?? config.defaultMaxOutputTokens)
        let holdAmount = price.cost(of: TokenUsage(promptTokens: promptTokens, completionTokens: maxOutput))
        guard
            let reservation = book.reserve(
                userID: key.userID, keyID: key.id, amount: holdAmount,
                keyLimit: key.policy.spendLimit)
        else { throw OpenAIError.insufficientQuota }

        var rng = SystemRandomNumberGenerator()
        let ordered = RoutePlanner.order(
            targets, priority: { $0.channel.priority }, weight: { $0.channel.weight }, using: &rng)
        let askForUsage = body.stream && (endpoint == .chat || endpoint == .completions)
        let answer: UpstreamClient.Answer
        do {
            answer = try await upstream.send(path: endpoint.path, targets: ordered) { target in
                ByteBuffer(
                    bytes: body.forwardedBytes(
                        upstreamModel: target.channel.upstreamModel(for: model), askForUsage: askForUsage))
            }
        } catch {
            reservation.release()
            record(
                endpoint: endpoint, key: key, model: model, channelID: nil, usage: .zero, cost: .zero,
                started: started, firstByte: nil, status: "upstream_error", stream: body.stream,
                peerAddress: address)
            throw Self.clientError(for: error)
        }
        let meta = RelayMeta(
            endpoint: endpoint, key: key, model: model, price: price, promptEstimate: promptTokens,
            reservation: reservation, started: started, channelID: answer.target.channel.id,
            peerAddress: address)
        if body.stream {
            return streamResponse(answer, meta: meta, stripUsage: askForUsage && !body.clientRequestedUsage)
        }
        return try await bufferedResponse(answer, meta: meta)
    }

    /// What a request carries from the routing step to billing.
    struct RelayMeta: Sendable {
        let endpoint: Endpoint
        let key: RuntimeSnapshot.Key
        let model: String
        let price: ModelPrice
        let promptEstimate: Int64
        let reservation: Reservation
        let started: Int64
        let channelID: String
        let peerAddress: String?
    }

    func readBody(_ request: Request) async throws -> RelayRequestBody {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > config.maxBodyBytes {
            throw tooLarge()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: config.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw tooLarge()
        }
        guard buffer.readableBytes > 0 else {
            throw OpenAIError.invalidRequest("The request body is empty; send a JSON object.")
        }
        do {
            return try RelayRequestBody(bytes: Array(buffer.readableBytesView))
        } catch .missingModel {
            throw OpenAIError.invalidRequest("You must provide a model parameter.", param: "model")
        } catch {
            throw OpenAIError.invalidRequest("We could not parse the JSON body of your request: \(error.description).")
        }
    }

    func tooLarge() -> OpenAIError {
        OpenAIError(
            .contentTooLarge, "The request body exceeds the limit of \(config.maxBodyBytes) bytes.",
            type: "invalid_request_error", code: "request_too_large")
    }

    /// Maps an upstream failure to what the client sees: no upstream URL, key, price or body.
    static func clientError(for error: any Error) -> OpenAIError {
        switch error as? UpstreamError {
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
        case .allFailed, nil:
            return OpenAIError(
                .badGateway, "The upstream providers failed to answer this request; you were not charged.",
                type: "server_error", code: "upstream_error")
        }
    }

    func record(
        endpoint: Endpoint, key: RuntimeSnapshot.Key, model: String, channelID: String?, usage: TokenUsage,
        cost: Money, started: Int64, firstByte: Int64?, status: String, stream: Bool, peerAddress: String?
    ) {
        let id = WharfID.make("req")
        let now = clock.monotonicMillis()
        let usageRecord = UsageRecord(
            id: id, createdAt: clock.nowMillis(), userID: key.userID, keyID: key.id, model: model,
            channelID: channelID, endpoint: endpoint.rawValue, usage: usage, cost: cost, latencyMillis: now - started,
            timeToFirstTokenMillis: firstByte.map { $0 - started }, status: status, stream: stream,
            clientIP: ClientAddress.stored(peerAddress, mode: config.clientIPMode))
        let charge = cost.micros > 0 ? Charge(userID: key.userID, keyID: key.id, amount: cost, reference: id) : nil
        writer.enqueue(usageRecord, charge: charge)
    }
}
