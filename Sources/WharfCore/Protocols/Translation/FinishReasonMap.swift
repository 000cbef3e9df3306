/// Finish reasons to and from each dialect (research §1.5). Shared by the response and stream translators.
public enum FinishReasonMap {
    /// OpenAI `finish_reason`: `stop`, `length`, `tool_calls` or `content_filter`.
    public static func openAI(_ reason: IRFinishReason) -> String {
        switch reason {
        case .endTurn, .stopSequence, .pauseTurn, .other: "stop"
        case .maxTokens, .contextWindowExceeded: "length"
        case .toolUse: "tool_calls"
        case .refusal: "content_filter"
        }
    }

    /// Anthropic `stop_reason`; an unknown reason is `end_turn`.
    public static func anthropic(_ reason: IRFinishReason) -> String {
        switch reason {
        case .endTurn, .other: "end_turn"
        case .stopSequence: "stop_sequence"
        case .maxTokens: "max_tokens"
        case .contextWindowExceeded: "model_context_window_exceeded"
        case .toolUse: "tool_use"
        case .refusal: "refusal"
        case .pauseTurn: "pause_turn"
        }
    }

    /// An OpenAI `finish_reason`.
    public static func fromOpenAI(_ reason: String) -> IRFinishReason {
        switch reason {
        case "stop": .endTurn
        case "length": .maxTokens
        case "tool_calls", "function_call": .toolUse
        case "content_filter": .refusal
        default: .other(reason)
        }
    }

    /// An Anthropic `stop_reason`.
    public static func fromAnthropic(_ reason: String) -> IRFinishReason {
        switch reason {
        case "end_turn": .endTurn
        case "stop_sequence": .stopSequence
        case "max_tokens": .maxTokens
        case "model_context_window_exceeded": .contextWindowExceeded
        case "tool_use": .toolUse
        case "refusal": .refusal
        case "pause_turn": .pauseTurn
        default: .other(reason)
        }
    }

    /// A Gemini `finishReason`; `STOP` after a `functionCall` part is a tool use.
    public static func fromGemini(_ reason: String, sawToolCall: Bool) -> IRFinishReason {
        switch reason {
        case "STOP": sawToolCall ? .toolUse : .endTurn
        case "MAX_TOKENS": .maxTokens
        case "SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "RECITATION": .refusal
        default: .other(reason)
        }
    }
}
