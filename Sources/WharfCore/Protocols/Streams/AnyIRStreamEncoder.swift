/// The stream encoder of one client dialect, held concretely and encoded in place. A Gemini client (Wharf has no
/// Gemini inbound) is served the OpenAI chat dialect.
struct AnyIRStreamEncoder: Sendable {
    private var openAI: OpenAIChatStreamEncoder?
    private var anthropic: AnthropicStreamEncoder?

    init(dialect: Dialect, id: String, model: String, created: Int64, includeUsage: Bool, estimatedInputTokens: Int64) {
        switch dialect {
        case .anthropicMessages:
            anthropic = AnthropicStreamEncoder(id: id, model: model, estimatedInputTokens: estimatedInputTokens)
        case .openAIChat, .gemini:
            openAI = OpenAIChatStreamEncoder(id: id, model: model, created: created, includeUsage: includeUsage)
        }
    }

    mutating func encode(_ event: IREvent, into out: inout [UInt8]) {
        if openAI != nil {
            openAI?.encode(event, into: &out)
        } else {
            anthropic?.encode(event, into: &out)
        }
    }

    mutating func finish(into out: inout [UInt8]) {
        if openAI != nil {
            openAI?.finish(into: &out)
        } else {
            anthropic?.finish(into: &out)
        }
    }
}
