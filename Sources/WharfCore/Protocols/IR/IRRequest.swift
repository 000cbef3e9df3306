/// A generation request in Wharf's intermediate representation: what every dialect's request decoder produces and
/// every request encoder consumes. Pure data; content is never logged (``description`` redacts it).
public struct IRRequest: Sendable, Equatable, CustomStringConvertible {
    /// The model the client named (routing picks the upstream name).
    public var model: String
    /// Leading system (and OpenAI `developer`) content, in order.
    public var system: [IRPart]
    /// The conversation. Later `.system` messages (mid-conversation system text) stay in place.
    public var messages: [IRMessage]
    public var tools: [IRTool]
    public var toolChoice: IRToolChoice?
    /// OpenAI `parallel_tool_calls`; Anthropic `!disable_parallel_tool_use`.
    public var parallelToolCalls: Bool?
    /// OpenAI `max_completion_tokens`/`max_tokens`, Anthropic `max_tokens`, Gemini `maxOutputTokens`.
    public var maxOutputTokens: Int64?
    public var temperature: JSONNumber?
    public var topP: JSONNumber?
    public var topK: JSONNumber?
    public var stopSequences: [String]
    public var responseFormat: IRResponseFormat?
    public var reasoning: IRReasoning?
    public var stream: Bool
    /// The client asked for usage in its stream (OpenAI `stream_options.include_usage`; Anthropic streams always
    /// carry usage).
    public var wantsUsageInStream: Bool
    /// Translation notes: parameters dropped or clamped, as short codes (never content), for the request log.
    public var warnings: [String]

    /// Creates a request.
    public init(
        model: String, system: [IRPart] = [], messages: [IRMessage] = [], tools: [IRTool] = [],
        toolChoice: IRToolChoice? = nil, parallelToolCalls: Bool? = nil, maxOutputTokens: Int64? = nil,
        temperature: JSONNumber? = nil, topP: JSONNumber? = nil, topK: JSONNumber? = nil,
        stopSequences: [String] = [], responseFormat: IRResponseFormat? = nil, reasoning: IRReasoning? = nil,
        stream: Bool = false, wantsUsageInStream: Bool = false, warnings: [String] = []
    ) {
        self.model = model
        self.system = system
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.parallelToolCalls = parallelToolCalls
        self.maxOutputTokens = maxOutputTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.stopSequences = stopSequences
        self.responseFormat = responseFormat
        self.reasoning = reasoning
        self.stream = stream
        self.wantsUsageInStream = wantsUsageInStream
        self.warnings = warnings
    }

    /// Redacted: the model and the shape, never content.
    public var description: String {
        "IRRequest(model: \(model), messages: \(messages.count), tools: \(tools.count), stream: \(stream))"
    }
}

/// A JSON number kept as its token text, so a translated request carries the caller's value exactly (`0.7` stays
/// `0.7`).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The token text, such as `0.7` or `1024`.
    public let text: String
    /// Wraps a number token's text.
    public init(_ text: String) { self.text = text }
    /// The value as a `Double`, for range checks only (never for money).
    public var value: Double? { Double(text) }
    public var description: String { text }
}

/// Who speaks a message.
public enum IRRole: String, Sendable, Equatable {
    case system, user, assistant, tool
}

/// One message of the conversation.
public struct IRMessage: Sendable, Equatable {
    public var role: IRRole
    public var parts: [IRPart]
    /// Creates a message.
    public init(role: IRRole, parts: [IRPart]) {
        self.role = role
        self.parts = parts
    }
}

/// Anthropic's `cache_control` on a part or tool.
public struct IRCacheControl: Sendable, Equatable {
    /// `"5m"`, `"1h"`, or nil when not given.
    public var ttl: String?
    /// Creates a marker.
    public init(ttl: String? = nil) { self.ttl = ttl }
}

/// Where an image or document comes from. Wharf never fetches a URL itself.
public enum IRMedia: Sendable, Equatable {
    /// Inline bytes, base64-encoded as the client sent them.
    case base64(mediaType: String, data: String)
    /// A URL the upstream fetches.
    case url(String)
}

/// A provider-bound opaque signature (Anthropic thinking `signature`, Gemini `thoughtSignature`): replayed only to
/// the dialect that made it, byte for byte.
public struct IRSignature: Sendable, Equatable {
    public var dialect: Dialect
    public var value: String
    /// Creates a signature.
    public init(dialect: Dialect, value: String) {
        self.dialect = dialect
        self.value = value
    }
}

/// One piece of message content.
public enum IRPart: Sendable, Equatable {
    case text(String, cache: IRCacheControl? = nil)
    case image(IRMedia, cache: IRCacheControl? = nil)
    case document(IRMedia, title: String?, cache: IRCacheControl? = nil)
    /// A tool call made by the assistant; `argumentsJSON` is the arguments object as JSON text.
    case toolCall(id: String, name: String, argumentsJSON: String, signature: IRSignature? = nil)
    /// A tool's result; `content` holds text and image parts.
    case toolResult(callID: String, name: String?, content: [IRPart], isError: Bool)
    /// Reasoning (thinking) text, with its signature when the provider gave one.
    case reasoning(String, signature: IRSignature?)
    /// Anthropic `redacted_thinking`.
    case redactedReasoning(data: String)
}

/// A function the model may call.
public struct IRTool: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of the arguments (an object).
    public var inputSchema: JSONValue
    public var cache: IRCacheControl?
    /// Creates a tool.
    public init(name: String, description: String? = nil, inputSchema: JSONValue, cache: IRCacheControl? = nil) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.cache = cache
    }
}

/// Which tool the model must or may call.
public enum IRToolChoice: Sendable, Equatable {
    case auto, none, required
    case named(String)
}

/// The shape asked of the answer.
public enum IRResponseFormat: Sendable, Equatable {
    case text
    case jsonObject
    case jsonSchema(name: String, schema: JSONValue, strict: Bool?)
}

/// Reasoning (thinking) asked of the model.
public enum IRReasoning: Sendable, Equatable {
    /// OpenAI `reasoning_effort`, Anthropic `output_config.effort`: `low`, `medium`, `high`...
    case effort(String)
    /// A token budget (Anthropic `thinking.budget_tokens`, Gemini `thinkingBudget`).
    case budget(Int64)
    /// Anthropic `thinking: {type: "adaptive"}`.
    case adaptive
    case disabled
}
