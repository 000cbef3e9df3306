/// The stream decoder of one upstream dialect, held concretely (no existential box) and decoded in place.
struct AnyIRStreamDecoder: Sendable {
    private var openAI: OpenAIChatStreamDecoder?
    private var anthropic: AnthropicStreamDecoder?
    private var gemini: GeminiStreamDecoder?

    /// The decoder for `dialect`; `idSeed` seeds the ids a Gemini stream needs.
    init(dialect: Dialect, idSeed: String) {
        switch dialect {
        case .openAIChat: openAI = OpenAIChatStreamDecoder()
        case .anthropicMessages: anthropic = AnthropicStreamDecoder()
        case .gemini: gemini = GeminiStreamDecoder(idSeed: idSeed)
        }
    }

    mutating func decode(_ event: SSEEvent) -> [IREvent] {
        if let events = openAI?.decode(event) { return events }
        if let events = anthropic?.decode(event) { return events }
        return gemini?.decode(event) ?? []
    }

    mutating func finish() -> [IREvent] {
        if let events = openAI?.finish() { return events }
        if let events = anthropic?.finish() { return events }
        return gemini?.finish() ?? []
    }
}
