/// The operator's price for one model, per million tokens, in micro-units.
///
/// Rounding rule (the only one in Wharf): the exact cost of a request is
/// `(input × inputPrice + cachedInput × cachedPrice + output × outputPrice) / 1_000_000` micro-units, computed in
/// 128-bit integers, and a fractional micro-unit is rounded **up** once, on the total. A request never costs more
/// than one micro-unit above its exact price, and a non-zero usage at a non-zero price never costs zero.
public struct ModelPrice: Hashable, Sendable {
    /// Price of one million uncached prompt tokens.
    public var inputPerMillion: Money
    /// Price of one million completion tokens.
    public var outputPerMillion: Money
    /// Price of one million cached prompt tokens.
    public var cachedInputPerMillion: Money

    /// Creates a price; cached input defaults to the input price.
    public init(inputPerMillion: Money, outputPerMillion: Money, cachedInputPerMillion: Money? = nil) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion ?? inputPerMillion
    }

    /// The cost of a usage at this price, following the rounding rule above.
    ///
    /// Saturates at `Int64.max` micros instead of overflowing.
    public func cost(of usage: TokenUsage) -> Money {
        // Counts come from upstream JSON: clamp them before any arithmetic (no overflow, no negative charge).
        let prompt = max(0, usage.promptTokens)
        let cached = min(max(0, usage.cachedTokens), prompt)
        let uncached = prompt - cached
        let numerator =
            Int128(uncached) * Int128(inputPerMillion.micros)
            + Int128(cached) * Int128(cachedInputPerMillion.micros)
            + Int128(max(0, usage.completionTokens)) * Int128(outputPerMillion.micros)
        let million = Int128(1_000_000)
        var micros = numerator / million
        if numerator % million > 0 { micros += 1 }
        return Money(micros: micros > Int128(Int64.max) ? Int64.max : Int64(max(0, micros)))
    }
}

/// Token counts of one request. `cachedTokens` is the part of `promptTokens` served from a prompt cache.
public struct TokenUsage: Hashable, Sendable, Codable {
    public var promptTokens: Int64
    public var completionTokens: Int64
    public var cachedTokens: Int64

    /// Creates a usage record.
    public init(promptTokens: Int64, completionTokens: Int64, cachedTokens: Int64 = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
    }

    /// No tokens.
    public static let zero = TokenUsage(promptTokens: 0, completionTokens: 0)
}
