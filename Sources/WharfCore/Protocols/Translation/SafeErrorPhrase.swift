/// The upstream error wordings clients act on (Claude Code's context recovery matches `prompt is too long`; OpenAI
/// clients match `maximum context length`), recognised in upstream text and re-written from their parsed numbers
/// only, so nothing else of the upstream text (such as an echo of the prompt) can pass.
public enum SafeErrorPhrase: Sendable, Equatable {
    /// The prompt exceeds the context window: Anthropic `prompt is too long: N tokens > M maximum`, OpenAI
    /// `maximum context length is M tokens. However, your messages resulted in N tokens`, Gemini `The input token
    /// count (N) exceeds the maximum number of tokens allowed (M)`.
    case promptTooLong(tokens: Int64, maximum: Int64)
    /// The context window was exceeded, numbers unknown (OpenAI code `context_length_exceeded`).
    case contextExceeded(maximum: Int64?)
    /// Anthropic `input length and max_tokens exceed context limit: A + B > C`.
    case inputAndMaxTokensExceedContext(input: Int64, maxTokens: Int64, limit: Int64)
    /// `max_tokens` above the model's output limit (Anthropic `max_tokens: N > M, which is the maximum…`, OpenAI
    /// `max_tokens is too large: N. This model supports at most M completion tokens`).
    case maxTokensTooLarge(requested: Int64, maximum: Int64)
    /// Anthropic "`max_tokens` must be greater than `thinking.budget_tokens`".
    case maxTokensNotAboveThinkingBudget

    /// The phrase in `text` (upstream wording of any dialect), if one is there.
    public static func find(in text: String) -> SafeErrorPhrase? {
        if let m = text.firstMatch(of: #/prompt is too long: (\d+) tokens > (\d+) maximum/#),
            let tokens = Int64(m.1), let maximum = Int64(m.2)
        {
            return .promptTooLong(tokens: tokens, maximum: maximum)
        }
        if let m = text.firstMatch(
            of:
                #/maximum context length is (\d+) tokens\. However, you(?:r messages)? (?:requested|resulted in) (\d+) tokens/#
        ),
            let maximum = Int64(m.1), let tokens = Int64(m.2)
        {
            return .promptTooLong(tokens: tokens, maximum: maximum)
        }
        if let m = text.firstMatch(
            of: #/input token count \((\d+)\) exceeds the maximum number of tokens allowed \((\d+)\)/#),
            let tokens = Int64(m.1), let maximum = Int64(m.2)
        {
            return .promptTooLong(tokens: tokens, maximum: maximum)
        }
        if let m = text.firstMatch(
            of: #/input length and `?max_tokens`? exceed context limit: (\d+) \+ (\d+) > (\d+)/#),
            let input = Int64(m.1), let maxTokens = Int64(m.2), let limit = Int64(m.3)
        {
            return .inputAndMaxTokensExceedContext(input: input, maxTokens: maxTokens, limit: limit)
        }
        if let m = text.firstMatch(
            of: #/max_tokens: (\d+) > (\d+), which is the maximum allowed number of output tokens/#),
            let requested = Int64(m.1), let maximum = Int64(m.2)
        {
            return .maxTokensTooLarge(requested: requested, maximum: maximum)
        }
        if let m = text.firstMatch(
            of: #/max_tokens is too large: (\d+)\. This model supports at most (\d+) completion tokens/#),
            let requested = Int64(m.1), let maximum = Int64(m.2)
        {
            return .maxTokensTooLarge(requested: requested, maximum: maximum)
        }
        if text.contains(#/`?max_tokens`? must be greater than `?thinking\.budget_tokens`?/#) {
            return .maxTokensNotAboveThinkingBudget
        }
        if let m = text.firstMatch(of: #/maximum context length is (\d+) tokens/#), let maximum = Int64(m.1) {
            return .contextExceeded(maximum: maximum)
        }
        if let m = text.firstMatch(of: #/prompt is too long: the prompt exceeds the (\d+) token maximum/#),
            let maximum = Int64(m.1)
        {
            return .contextExceeded(maximum: maximum)
        }
        if text == "prompt is too long" || text.contains("maximum context length was exceeded") {
            return .contextExceeded(maximum: nil)
        }
        return nil
    }

    /// Whether the phrase says the context window is exceeded (OpenAI code `context_length_exceeded`).
    public var isContextOverflow: Bool {
        switch self {
        case .promptTooLong, .contextExceeded, .inputAndMaxTokensExceedContext: true
        case .maxTokensTooLarge, .maxTokensNotAboveThinkingBudget: false
        }
    }

    /// The phrase in Anthropic's wording.
    public var anthropicMessage: String {
        switch self {
        case .promptTooLong(let tokens, let maximum): "prompt is too long: \(tokens) tokens > \(maximum) maximum"
        case .contextExceeded(let maximum):
            maximum.map { "prompt is too long: the prompt exceeds the \($0) token maximum" } ?? "prompt is too long"
        case .inputAndMaxTokensExceedContext(let input, let maxTokens, let limit):
            "input length and `max_tokens` exceed context limit: \(input) + \(maxTokens) > \(limit), "
                + "decrease input length or `max_tokens` and try again"
        case .maxTokensTooLarge(let requested, let maximum):
            "max_tokens: \(requested) > \(maximum), which is the maximum allowed number of output tokens"
        case .maxTokensNotAboveThinkingBudget: "`max_tokens` must be greater than `thinking.budget_tokens`"
        }
    }

    /// The phrase in OpenAI's wording.
    public var openAIMessage: String {
        switch self {
        case .promptTooLong(let tokens, let maximum):
            "This model's maximum context length is \(maximum) tokens. However, your messages resulted in \(tokens) "
                + "tokens. Please reduce the length of the messages."
        case .contextExceeded(let maximum):
            maximum.map { "This model's maximum context length is \($0) tokens." }
                ?? "This model's maximum context length was exceeded."
        case .inputAndMaxTokensExceedContext(let input, let maxTokens, let limit):
            "This model's maximum context length is \(limit) tokens. However, you requested \(input + maxTokens) "
                + "tokens (\(input) in the messages, \(maxTokens) in the completion). Please reduce the length of the "
                + "messages or completion."
        case .maxTokensTooLarge(let requested, let maximum):
            "max_tokens is too large: \(requested). This model supports at most \(maximum) completion tokens, whereas "
                + "you provided \(requested)."
        case .maxTokensNotAboveThinkingBudget: "`max_tokens` must be greater than `thinking.budget_tokens`"
        }
    }
}
