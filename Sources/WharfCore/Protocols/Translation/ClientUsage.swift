/// Normalised usage written back in a client's dialect (research §1.6). Encoders write only the client dialect's
/// fields.
public enum ClientUsage {
    /// An OpenAI `usage` object: `prompt_tokens` (all input), `completion_tokens` (all output), `total_tokens` (their
    /// sum), `prompt_tokens_details.cached_tokens` (+ `cache_write_tokens` when above 0) and
    /// `completion_tokens_details.reasoning_tokens`.
    public static func openAI(_ usage: TokenUsage) -> JSONValue {
        var promptDetails: TranslationJSON.Members = [("cached_tokens", .int(usage.cachedTokens))]
        if usage.cacheWriteTokens > 0 { promptDetails.append(("cache_write_tokens", .int(usage.cacheWriteTokens))) }
        return .object([
            ("prompt_tokens", .int(usage.promptTokens)), ("completion_tokens", .int(usage.completionTokens)),
            ("total_tokens", .int(usage.promptTokens + usage.completionTokens)),
            ("prompt_tokens_details", .object(promptDetails)),
            ("completion_tokens_details", .object([("reasoning_tokens", .int(usage.reasoningTokens))])),
        ])
    }

    /// An Anthropic `usage` object: `input_tokens` (uncached input only), `cache_creation_input_tokens`,
    /// `cache_read_input_tokens`, `output_tokens`.
    public static func anthropic(_ usage: TokenUsage) -> JSONValue {
        .object([
            ("input_tokens", .int(usage.uncachedPromptTokens)),
            ("cache_creation_input_tokens", .int(usage.cacheWriteTokens)),
            ("cache_read_input_tokens", .int(usage.cachedTokens)), ("output_tokens", .int(usage.completionTokens)),
        ])
    }
}
