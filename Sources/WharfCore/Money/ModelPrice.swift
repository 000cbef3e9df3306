/// The operator's price for one model, per million tokens, in micro-units.
///
/// Rounding rule (the only one in Wharf): the exact cost of a request is
/// `(uncachedInput × inputPrice + cacheRead × cacheReadPrice + cacheWrite × cacheWritePrice + output × outputPrice)
/// / 1_000_000` micro-units, computed in 128-bit integers, and a fractional micro-unit is rounded **up** once, on the
/// total. A request never costs more than one micro-unit above its exact price, and a non-zero usage at a non-zero
/// price never costs zero.
///
/// The usage is the normalised one (``TokenUsage``): cache reads and cache writes are parts of the prompt, billed at
/// their own rates and never also at the input rate; reasoning is part of the output.
public struct ModelPrice: Hashable, Sendable {
    /// Price of one million uncached prompt tokens.
    public var inputPerMillion: Money
    /// Price of one million completion tokens (reasoning included).
    public var outputPerMillion: Money
    /// Price of one million prompt tokens read from a prompt cache.
    public var cachedInputPerMillion: Money
    /// Price of one million prompt tokens written to a prompt cache.
    public var cacheWritePerMillion: Money

    /// Creates a price; cache reads and writes default to the input price.
    public init(
        inputPerMillion: Money, outputPerMillion: Money, cachedInputPerMillion: Money? = nil,
        cacheWritePerMillion: Money? = nil
    ) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion ?? inputPerMillion
        self.cacheWritePerMillion = cacheWritePerMillion ?? inputPerMillion
    }

    /// The cost of a usage at this price, following the rounding rule above.
    ///
    /// Saturates at `Int64.max` micros instead of overflowing.
    public func cost(of usage: TokenUsage) -> Money {
        // Counts come from upstream JSON: clamp them before any arithmetic (no overflow, no negative charge). The
        // cached parts never exceed the prompt: reads first, then writes from what is left.
        let prompt = max(0, usage.promptTokens)
        let cached = min(max(0, usage.cachedTokens), prompt)
        let written = min(max(0, usage.cacheWriteTokens), prompt - cached)
        let uncached = prompt - cached - written
        let numerator =
            Int128(uncached) * Int128(inputPerMillion.micros)
            + Int128(cached) * Int128(cachedInputPerMillion.micros)
            + Int128(written) * Int128(cacheWritePerMillion.micros)
            + Int128(max(0, usage.completionTokens)) * Int128(outputPerMillion.micros)
        let million = Int128(1_000_000)
        var micros = numerator / million
        if numerator % million > 0 { micros += 1 }
        return Money(micros: micros > Int128(Int64.max) ? Int64.max : Int64(max(0, micros)))
    }
}

/// Token counts of one request, normalised the same way whatever the provider's dialect (OpenAI's meaning):
/// - `promptTokens` is all input: uncached, read from a cache and written to a cache;
/// - `cachedTokens` is the part of the prompt read from a prompt cache;
/// - `cacheWriteTokens` is the part of the prompt written to a prompt cache (Anthropic's cache creation);
/// - `completionTokens` is all output, reasoning (thinking) included;
/// - `reasoningTokens` is the part of the output spent on reasoning (shown, not billed apart).
public struct TokenUsage: Hashable, Sendable, Codable {
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var cachedTokens: Int64
    public var cacheWriteTokens: Int64
    public var reasoningTokens: Int64

    /// Creates a usage record.
    public init(
        promptTokens: Int64, completionTokens: Int64, cachedTokens: Int64 = 0, cacheWriteTokens: Int64 = 0,
        reasoningTokens: Int64 = 0
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.reasoningTokens = reasoningTokens
    }

    /// The prompt tokens neither read from nor written to a cache (Anthropic's `input_tokens`).
    public var uncachedPromptTokens: Int64 { max(0, promptTokens - cachedTokens - cacheWriteTokens) }

    /// No tokens.
    public static let zero = TokenUsage(promptTokens: 0, completionTokens: 0)
}
