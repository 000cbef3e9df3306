import NIOCore
import WharfCore
import WharfUpstream

/// The relay across dialects: what each attempt sends to a channel of the client's own dialect (the client's bytes,
/// only the model renamed) or of another (the request translated through the intermediate representation), and how
/// the answer comes back in the client's dialect. The translation itself is pure code in WharfCore (`Protocols/`).
extension RelayEngine {
    /// The request fields the relay passes on, from Anthropic clients to Anthropic channels only.
    struct AnthropicHeaders: Equatable {
        var version: String?
        var beta: String?
    }

    /// What one attempt sends upstream.
    struct UpstreamRequest {
        /// The path after the channel's base URL, query included.
        let path: String
        /// Field lines beyond the channel's fixed ones (each ending in CRLF).
        let extraFields: String
        let body: ByteBuffer
    }

    /// The path, fields and body for `target`. Same dialect: the client's bytes as they came, unless the model name
    /// (or, for an OpenAI stream, the usage option) must change. Another dialect: the translated request.
    static func upstreamRequest(
        _ plan: Plan, target: UpstreamTarget, anthropic: AnthropicHeaders, defaultMaxTokens: Int64
    ) -> UpstreamRequest {
        let upstreamModel = target.channel.upstreamModel(for: plan.body.model)
        let sameDialect = target.dialect == plan.endpoint.dialect
        let body: ByteBuffer
        if sameDialect || plan.ir == nil {
            body =
                plan.body.needsRewrite(upstreamModel: upstreamModel, askForUsage: plan.askForUsage)
                ? ByteBuffer(
                    bytes: plan.body.forwardedBytes(upstreamModel: upstreamModel, askForUsage: plan.askForUsage))
                : plan.received
        } else if let ir = plan.ir {
            switch target.dialect {
            case .openAIChat:
                body = ByteBuffer(bytes: OpenAIChatRequestEncoder.encode(ir, upstreamModel: upstreamModel))
            case .anthropicMessages:
                body = ByteBuffer(
                    bytes: AnthropicRequestEncoder.encode(
                        ir, upstreamModel: upstreamModel, defaultMaxTokens: defaultMaxTokens))
            case .gemini:
                body = ByteBuffer(bytes: GeminiRequestEncoder.encode(ir))
            }
        } else {
            body = plan.received
        }
        switch target.dialect {
        case .openAIChat:
            // A translated request is a chat completion whatever the client's endpoint was.
            let path = plan.endpoint.dialect == .openAIChat ? plan.endpoint.path : Endpoint.chat.path
            return UpstreamRequest(path: path, extraFields: "", body: body)
        case .anthropicMessages:
            // The client's version and betas reach an Anthropic channel unchanged, and only from an Anthropic client.
            let passOn = plan.endpoint.dialect == .anthropicMessages ? anthropic : AnthropicHeaders()
            return UpstreamRequest(
                path: "/v1/messages",
                extraFields: UpstreamTarget.anthropicFields(version: passOn.version, beta: passOn.beta), body: body)
        case .gemini:
            return UpstreamRequest(
                path: GeminiRequestEncoder.path(upstreamModel: upstreamModel, stream: plan.body.stream),
                extraFields: "", body: body)
        }
    }

    /// The stream translator for an answer from `target`, nil when the channel speaks the client's dialect.
    func streamTranslator(_ plan: Plan, target: UpstreamTarget) -> StreamTranslator? {
        guard target.dialect != plan.endpoint.dialect else { return nil }
        let now = clock.nowMillis()
        return StreamTranslator(
            from: target.dialect, to: plan.endpoint.dialect, id: Self.answerID(plan.endpoint.dialect, nowMillis: now),
            model: plan.body.model, created: now / 1000, includeUsage: plan.body.clientRequestedUsage,
            estimatedInputTokens: plan.promptEstimate, maxEventBytes: config.maxSSEEventBytes)
    }

    /// An id for a translated answer, in the client dialect's form (`chatcmpl-…`, `msg_…`).
    static func answerID(_ dialect: Dialect, nowMillis: Int64) -> String {
        switch dialect {
        case .anthropicMessages: WharfID.timeOrdered("msg", nowMillis: nowMillis)
        case .openAIChat, .gemini: "chatcmpl-" + WharfID.timeOrdered("w", nowMillis: nowMillis)
        }
    }

    /// A whole answer of another dialect, read and re-encoded in the client's: its usage and the bytes to send; nil
    /// when the answer is not one the dialect's decoder can read (an upstream failure, not a charge).
    func translateAnswer(_ body: [UInt8], plan: Plan, target: UpstreamTarget) -> (usage: TokenUsage?, body: [UInt8])? {
        let now = clock.nowMillis()
        let id = Self.answerID(plan.endpoint.dialect, nowMillis: now)
        var answer: IRResponse
        do {
            switch target.dialect {
            case .openAIChat: answer = try OpenAIChatResponseDecoder.decode(body)
            case .anthropicMessages: answer = try AnthropicResponseDecoder.decode(body)
            case .gemini: answer = try GeminiResponseDecoder.decode(body, idSeed: id)
            }
        } catch {
            return nil
        }
        answer.model = plan.body.model
        answer.id = id
        switch plan.endpoint.dialect {
        case .anthropicMessages: return (answer.usage, AnthropicResponseEncoder.encode(answer))
        case .openAIChat, .gemini: return (answer.usage, OpenAIChatResponseEncoder.encode(answer, created: now / 1000))
        }
    }

    /// The usage of a whole answer in the client's own dialect (relayed unchanged); `isJSON` false when the body is
    /// not a JSON object.
    static func passThroughUsage(_ body: ByteBuffer, dialect: Dialect) -> (usage: TokenUsage?, isJSON: Bool) {
        body.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { bytes in passThroughUsage(bytes, dialect: dialect) }
        }
    }

    /// The same, read in place: only the `usage` member is read into values; the rest of the answer (relayed as it
    /// is) is only checked to be one JSON object.
    static func passThroughUsage(_ bytes: UnsafeBufferPointer<UInt8>, dialect: Dialect) -> (
        usage: TokenUsage?, isJSON: Bool
    ) {
        switch dialect {
        case .openAIChat, .gemini:
            do {
                return (try UsageExtractor.usage(inBody: bytes), true)
            } catch {
                return (nil, false)
            }
        case .anthropicMessages:
            guard let found = try? JSONObjectScanner.lastMembers(named: ["usage"], in: bytes).ranges else {
                return (nil, false)
            }
            guard let range = found[0], let usage = try? JSONValue.parseObject(Array(bytes[range])) else {
                return (nil, true)
            }
            return (UsageNormalizer.anthropic(usage), true)
        }
    }

    /// `POST /v1/messages/count_tokens`: the input tokens of an Anthropic request, counted here (never billed, never
    /// a call to a generating endpoint). The key must be allowed the model, and the model routed and priced.
    func countTokens(caller: Caller, body: ByteBuffer) throws(OpenAIError) -> ByteBuffer {
        let request: IRRequest
        do {
            request = try AnthropicRequestDecoder.decode(Array(body.readableBytesView))
        } catch {
            throw OpenAIError.invalidRequest(error.message, param: error.param)
        }
        guard caller.key.policy.allows(model: request.model) else {
            throw OpenAIError(
                .forbidden, "This API key is not allowed to use the model '\(request.model)'.",
                type: "permission_error", code: "model_not_allowed", param: "model")
        }
        let routed = (caller.snapshot.routes[request.model] ?? []).contains { $0.channel.capabilities.contains("chat") }
        guard routed, caller.snapshot.prices[request.model] != nil else { throw .modelNotFound(request.model) }
        let count = LocalTokenCount.inputTokens(request)
        return ByteBuffer(string: "{\"input_tokens\":\(count)}")
    }

    /// The client's error for an upstream's non-2xx answer that does not fail over: status and type mapped, the
    /// message Wharf's own or an allowlisted upstream phrase (never the upstream's free text).
    static func clientError(status: Int, body: [UInt8], dialect: Dialect) -> OpenAIError {
        let reduced = ReducedUpstreamError(status: status, body: body)
        var error = clientError(for: .rejected(reduced))
        if let phrase = UpstreamErrorReader.safePhrase(status: status, body: body) {
            error.message = dialect == .anthropicMessages ? phrase.anthropicMessage : phrase.openAIMessage
        }
        return error
    }
}
