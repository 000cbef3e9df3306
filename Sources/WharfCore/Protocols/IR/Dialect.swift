/// An API dialect Wharf speaks, inbound (what a client sends) or upstream (what a channel takes).
public enum Dialect: String, Sendable, Hashable, CaseIterable {
    /// OpenAI Chat Completions (`/v1/chat/completions`), also spoken by OpenAI-compatible servers.
    case openAIChat = "openai-chat"
    /// Anthropic Messages (`/v1/messages`).
    case anthropicMessages = "anthropic-messages"
    /// Google Gemini `generateContent` / `streamGenerateContent?alt=sse` (upstream only).
    case gemini

    /// The dialect a channel of `provider` speaks.
    public init(provider: ProviderKind) {
        switch provider {
        case .openai, .openaiCompatible: self = .openAIChat
        case .anthropic: self = .anthropicMessages
        case .gemini: self = .gemini
        }
    }
}
