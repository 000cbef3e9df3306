/// A whole (non-streamed) answer in the intermediate representation.
public struct IRResponse: Sendable, Equatable, CustomStringConvertible {
    /// The upstream's id (a gateway id is made when it gave none).
    public var id: String
    /// The model name to show the client (the public name).
    public var model: String
    /// Content blocks in order: `.text`, `.reasoning`, `.redactedReasoning`, `.toolCall`.
    public var content: [IRPart]
    public var finish: IRFinishReason
    /// The stop sequence that ended the answer, when known.
    public var stopSequence: String?
    /// Normalised usage, nil when the upstream reported none.
    public var usage: TokenUsage?

    /// Creates a response.
    public init(
        id: String, model: String, content: [IRPart], finish: IRFinishReason, stopSequence: String? = nil,
        usage: TokenUsage?
    ) {
        self.id = id
        self.model = model
        self.content = content
        self.finish = finish
        self.stopSequence = stopSequence
        self.usage = usage
    }

    public var description: String {
        "IRResponse(id: \(id), blocks: \(content.count), finish: \(finish), usage: \(String(describing: usage)))"
    }
}

/// Why an answer ended.
public enum IRFinishReason: Sendable, Equatable {
    case endTurn, stopSequence, maxTokens, contextWindowExceeded, toolUse, refusal, pauseTurn
    /// A value no mapping knows (kept for the log; clients get their dialect's plain stop).
    case other(String)
}

/// A stream event in the intermediate representation: what every stream decoder emits and every stream encoder
/// takes. Block indexes are the decoder's own dense numbering from 0, in the order blocks start.
public enum IREvent: Sendable, Equatable {
    /// The answer began. `usage` is what is known of the input so far (Anthropic's `message_start`).
    case start(id: String, model: String, usage: TokenUsage?)
    case blockStart(index: Int, IRBlockKind)
    case textDelta(index: Int, String)
    case reasoningDelta(index: Int, String)
    case signatureDelta(index: Int, String)
    case toolArgumentsDelta(index: Int, String)
    case blockStop(index: Int)
    /// A cumulative usage snapshot: it replaces any earlier one.
    case usage(TokenUsage)
    case finish(IRFinishReason, stopSequence: String?)
    /// The upstream reported an error inside the stream.
    case error(IRError)
    /// The stream ended as its protocol ends it (`[DONE]`, `message_stop`, the last Gemini event).
    case end
}

/// The kind of a content block that starts in a stream.
public enum IRBlockKind: Sendable, Equatable {
    case text
    case reasoning
    case redactedReasoning(data: String)
    case toolCall(id: String, name: String)
}

/// An error in dialect-neutral form: never the upstream's free text, only an allowlisted message.
public struct IRError: Sendable, Equatable, Error {
    /// What kind of failure.
    public var kind: IRErrorKind
    /// The HTTP status it maps to.
    public var status: Int
    /// A message safe to show: Wharf's own text, or an upstream phrase from the allowlist.
    public var message: String
    /// Creates an error.
    public init(kind: IRErrorKind, status: Int, message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }
}

/// Error classes every dialect can express.
public enum IRErrorKind: String, Sendable, Equatable {
    case invalidRequest, authentication, permission, notFound, requestTooLarge, rateLimit, api, overloaded
}
