import Testing
import WharfCore

@Suite("Model prices")
struct ModelPriceTests {
    /// One pricing scenario: prices in micro-units per million tokens, and the exact expected cost.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var input: Int64
        var output: Int64
        var cached: Int64?
        var usage: TokenUsage
        var expectedMicros: Int64
        var testDescription: String { name }

        init(
            _ name: String, input: Int64, output: Int64, cached: Int64? = nil,
            prompt: Int64, completion: Int64, cachedTokens: Int64 = 0, expected: Int64
        ) {
            self.name = name
            self.input = input
            self.output = output
            self.cached = cached
            self.usage = TokenUsage(promptTokens: prompt, completionTokens: completion, cachedTokens: cachedTokens)
            self.expectedMicros = expected
        }
    }

    static let cases: [Case] = [
        Case("free model costs nothing", input: 0, output: 0, prompt: 1_000, completion: 1_000, expected: 0),
        Case("no tokens cost nothing", input: 2_500_000, output: 10_000_000, prompt: 0, completion: 0, expected: 0),
        Case(
            "whole micro-units need no rounding", input: 2_500_000, output: 10_000_000,
            prompt: 1_000, completion: 500, expected: 7_500),
        Case(
            "a tenth of a micro-unit rounds up to one", input: 100_000, output: 0, prompt: 1, completion: 0, expected: 1
        ),
        Case(
            "two half micro-units round once on the total, not per part", input: 500_000, output: 500_000,
            prompt: 1, completion: 1, expected: 1),
        Case("1.2 micro-units round up to 2", input: 400_000, output: 0, prompt: 3, completion: 0, expected: 2),
        Case("exactly one micro-unit stays one", input: 100_000, output: 0, prompt: 10, completion: 0, expected: 1),
        Case(
            "one token at the smallest price never costs zero", input: 1, output: 1,
            prompt: 0, completion: 1, expected: 1),
        Case(
            "cached prompt tokens are priced at the cached price", input: 2_000_000, output: 8_000_000,
            cached: 500_000, prompt: 1_000, completion: 100, cachedTokens: 400, expected: 1_200 + 200 + 800),
        Case(
            "cached price defaults to the input price", input: 2_000_000, output: 8_000_000,
            prompt: 1_000, completion: 100, cachedTokens: 400, expected: 2_000 + 800),
        Case(
            "free cached tokens cost nothing", input: 3_000_000, output: 0, cached: 0,
            prompt: 1_000, completion: 0, cachedTokens: 1_000, expected: 0),
        Case(
            "more cached than prompt tokens is clamped to the prompt", input: 2_000_000, output: 0,
            cached: 500_000, prompt: 100, completion: 0, cachedTokens: 250, expected: 50),
        Case(
            "negative completion tokens count as zero", input: 1_000_000, output: 1_000_000,
            prompt: 10, completion: -5, expected: 10),
        Case(
            "negative prompt tokens count as zero", input: 1_000_000, output: 1_000_000,
            prompt: -10, completion: 5, expected: 5),
        Case(
            "10^12 tokens each way at $1000/M cost exactly $2,000,000,000", input: 1_000_000_000,
            output: 1_000_000_000, prompt: 1_000_000_000_000, completion: 1_000_000_000_000,
            expected: 2_000_000_000_000_000),
        Case(
            "10^12 tokens with a cached share at $1000/M and $500/M", input: 1_000_000_000,
            output: 1_000_000_000, cached: 500_000_000, prompt: 1_000_000_000_000,
            completion: 1_000_000_000_000, cachedTokens: 400_000_000_000, expected: 1_800_000_000_000_000),
        Case(
            "just below Int64.max micro-units is exact", input: 1_000_000_000_000, output: 0,
            prompt: 9_223_372_036_854, completion: 0, expected: 9_223_372_036_854_000_000),
        Case(
            "a cost above Int64.max micro-units saturates", input: 1_000_000_000_000, output: 0,
            prompt: 10_000_000_000_000, completion: 0, expected: Int64.max),
        Case(
            "maximal counts at maximal prices saturate", input: Int64.max, output: Int64.max, cached: Int64.max,
            prompt: Int64.max, completion: Int64.max, cachedTokens: Int64.max / 2, expected: Int64.max),
    ]

    @Test("The cost of a usage follows the single rounding rule", arguments: cases)
    func cost(of scenario: Case) {
        let price = ModelPrice(
            inputPerMillion: Money(micros: scenario.input), outputPerMillion: Money(micros: scenario.output),
            cachedInputPerMillion: scenario.cached.map { Money(micros: $0) })
        #expect(price.cost(of: scenario.usage).micros == scenario.expectedMicros)
    }

    @Test("The cached price defaults to the input price, and can be set apart")
    func cachedPriceDefault() {
        let defaulted = ModelPrice(inputPerMillion: Money(micros: 3), outputPerMillion: Money(micros: 4))
        #expect(defaulted.cachedInputPerMillion == Money(micros: 3))
        let explicit = ModelPrice(
            inputPerMillion: Money(micros: 3), outputPerMillion: Money(micros: 4),
            cachedInputPerMillion: Money(micros: 1))
        #expect(explicit.cachedInputPerMillion == Money(micros: 1))
    }

    @Test(
        "A request never costs more than one micro-unit above its exact price, nor less",
        arguments: [(333_333, 777_777, 111_111), (1, 3, 0), (2_500_000, 10_000_000, 1_250_000)]
            as [(Int64, Int64, Int64)]
    )
    func costIsWithinOneMicroOfExact(input: Int64, output: Int64, cached: Int64) {
        let price = ModelPrice(
            inputPerMillion: Money(micros: input), outputPerMillion: Money(micros: output),
            cachedInputPerMillion: Money(micros: cached))
        for prompt in Int64(0)...40 {
            for completion in Int64(0)...40 {
                let cachedTokens = prompt / 3
                let usage = TokenUsage(promptTokens: prompt, completionTokens: completion, cachedTokens: cachedTokens)
                let exactTimesMillion =
                    Int128(prompt - cachedTokens) * Int128(input) + Int128(cachedTokens) * Int128(cached)
                    + Int128(completion) * Int128(output)
                let charged = Int128(price.cost(of: usage).micros) * 1_000_000
                #expect(charged >= exactTimesMillion, "undercharged \(usage)")
                #expect(charged - exactTimesMillion < 1_000_000, "overcharged \(usage)")
                if exactTimesMillion > 0 {
                    #expect(charged > 0, "non-zero usage at a non-zero price cost zero: \(usage)")
                }
            }
        }
    }

    @Test("Negative cached tokens do not inflate the uncached prompt count")
    func negativeCachedTokens() {
        // Upstream-reported counts are untrusted: a negative `cached_tokens` must not make a request dearer than
        // its whole prompt at the input price.
        let price = ModelPrice(inputPerMillion: Money(micros: 1_000_000), outputPerMillion: .zero)
        let usage = TokenUsage(promptTokens: 10, completionTokens: 0, cachedTokens: -5)
        #expect(price.cost(of: usage).micros == 10)
    }

    @Test("Hostile upstream counts cannot overflow the cost computation")
    func hostileCountsDoNotTrap() {
        let price = ModelPrice(inputPerMillion: Money(micros: 1_000_000), outputPerMillion: .zero)
        let usage = TokenUsage(promptTokens: Int64.max, completionTokens: 0, cachedTokens: -1)
        #expect(price.cost(of: usage).micros == Int64.max)
    }

    @Test("TokenUsage.zero has no tokens")
    func zeroUsage() {
        #expect(TokenUsage.zero == TokenUsage(promptTokens: 0, completionTokens: 0, cachedTokens: 0))
    }
}
