import Testing

@testable import WharfCore

/// One usage object of a provider, what it means once normalised, and what it costs at one price: the exact amount
/// the billing policy says (a cache write is a part of the prompt billed at the write rate, never also at the input
/// rate; a cache read likewise; reasoning is output).
@Suite("Usage normalisation and cache-aware cost")
struct UsageNormalizerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let dialect: Dialect
        let json: String
        let expected: TokenUsage
        /// At $3/M input, $15/M output, $0.30/M cache read, $3.75/M cache write (Claude Sonnet's list prices).
        let micros: Int64
        var testDescription: String { name }
    }

    static let price = ModelPrice(
        inputPerMillion: Money(micros: 3_000_000), outputPerMillion: Money(micros: 15_000_000),
        cachedInputPerMillion: Money(micros: 300_000), cacheWritePerMillion: Money(micros: 3_750_000))

    static let cases: [Case] = [
        Case(
            name: "Anthropic: input_tokens excludes both cache fields, which are added to make the prompt",
            dialect: .anthropicMessages,
            json:
                #"{"input_tokens":10,"cache_read_input_tokens":1000,"cache_creation_input_tokens":100,"output_tokens":20}"#,
            expected: TokenUsage(promptTokens: 1110, completionTokens: 20, cachedTokens: 1000, cacheWriteTokens: 100),
            // 10×3 + 1000×0.30 + 100×3.75 + 20×15 = 30 + 300 + 375 + 300 = 1005 µ.
            micros: 1005),
        Case(
            name: "Anthropic F3: 2048 cache reads at the read rate, 12 fresh tokens at the input rate",
            dialect: .anthropicMessages,
            json:
                #"{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":9}"#,
            expected: TokenUsage(promptTokens: 2060, completionTokens: 9, cachedTokens: 2048),
            // 36 + 614.4 + 135 = 785.4 → 786 µ (one rounding, up, on the total).
            micros: 786),
        Case(
            name: "Anthropic thinking tokens are a part of the output, not billed twice",
            dialect: .anthropicMessages,
            json: #"{"input_tokens":5,"output_tokens":40,"output_tokens_details":{"thinking_tokens":30}}"#,
            expected: TokenUsage(promptTokens: 5, completionTokens: 40, reasoningTokens: 30),
            micros: 15 + 600),
        Case(
            name: "OpenAI: prompt_tokens includes the cached tokens",
            dialect: .openAIChat,
            json:
                #"{"prompt_tokens":91,"completion_tokens":34,"total_tokens":125,"prompt_tokens_details":{"cached_tokens":64}}"#,
            expected: TokenUsage(promptTokens: 91, completionTokens: 34, cachedTokens: 64),
            // 27×3 + 64×0.30 + 34×15 = 81 + 19.2 + 510 = 610.2 → 611 µ.
            micros: 611),
        Case(
            name: "OpenRouter's cache_write_tokens are a part of the prompt billed at the write rate",
            dialect: .openAIChat,
            json:
                #"{"prompt_tokens":200,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":50,"cache_write_tokens":100}}"#,
            expected: TokenUsage(promptTokens: 200, completionTokens: 1, cachedTokens: 50, cacheWriteTokens: 100),
            // 50×3 + 50×0.30 + 100×3.75 + 15 = 150 + 15 + 375 + 15 = 555 µ.
            micros: 555),
        Case(
            name: "Gemini: promptTokenCount includes the cached tokens; thoughts are output",
            dialect: .gemini,
            json:
                #"{"promptTokenCount":30,"candidatesTokenCount":7,"thoughtsTokenCount":5,"cachedContentTokenCount":10,"totalTokenCount":42}"#,
            expected: TokenUsage(promptTokens: 30, completionTokens: 12, cachedTokens: 10, reasoningTokens: 5),
            // 20×3 + 10×0.30 + 12×15 = 60 + 3 + 180 = 243 µ.
            micros: 243),
        Case(
            name: "Gemini live fixture: tool-use prompt tokens are input; the buckets add up to totalTokenCount",
            dialect: .gemini,
            json:
                #"{"promptTokenCount":12,"cachedContentTokenCount":4,"candidatesTokenCount":71,"toolUsePromptTokenCount":65,"thoughtsTokenCount":89,"totalTokenCount":237}"#,
            expected: TokenUsage(promptTokens: 77, completionTokens: 160, cachedTokens: 4, reasoningTokens: 89),
            // 73×3 + 4×0.30 + 160×15 = 219 + 1.2 + 2400 = 2620.2 → 2621 µ.
            micros: 2621),
    ]

    @Test("Each provider's usage is read into disjoint buckets and billed exactly", arguments: cases)
    func normalisedAndPriced(_ scenario: Case) throws {
        let object = try JSONValue.parse(Array(scenario.json.utf8))
        let usage = try #require(UsageNormalizer.usage(object, dialect: scenario.dialect))
        #expect(usage == scenario.expected)
        #expect(Self.price.cost(of: usage) == Money(micros: scenario.micros))
    }

    @Test("A usage with an unbelievable count is unreadable (the estimate is billed), never a silent zero")
    func unreadableCounts() throws {
        for json in [
            #"{"input_tokens":-1,"output_tokens":5}"#, #"{"input_tokens":1.5,"output_tokens":5}"#,
            #"{"input_tokens":"7","output_tokens":5}"#,
        ] {
            #expect(UsageNormalizer.usage(try JSONValue.parse(Array(json.utf8)), dialect: .anthropicMessages) == nil)
        }
    }

    @Test("An Anthropic message_delta lays its fields over message_start: replaced, never summed")
    func deltaOverStart() throws {
        let start = try #require(
            UsageNormalizer.anthropic(
                try JSONValue.parse(
                    Array(#"{"input_tokens":10,"cache_read_input_tokens":1000,"output_tokens":1}"#.utf8))))
        let final = try #require(
            UsageNormalizer.anthropic(try JSONValue.parse(Array(#"{"output_tokens":20}"#.utf8)), over: start))
        #expect(final == TokenUsage(promptTokens: 1010, completionTokens: 20, cachedTokens: 1000))
    }

    @Test("A message_delta that repeats the input fields as zeros keeps message_start's input")
    func zeroedDeltaKeepsInput() throws {
        let start = try #require(
            UsageNormalizer.anthropic(
                try JSONValue.parse(
                    Array(
                        #"{"input_tokens":5000,"cache_read_input_tokens":20000,"cache_creation_input_tokens":300,"output_tokens":1}"#
                            .utf8))))
        let zeros =
            #"{"input_tokens":0,"cache_read_input_tokens":0,"cache_creation_input_tokens":0,"output_tokens":800}"#
        let final = try #require(
            UsageNormalizer.anthropic(try JSONValue.parse(Array(zeros.utf8)), over: start))
        #expect(
            final
                == TokenUsage(promptTokens: 25_300, completionTokens: 800, cachedTokens: 20_000, cacheWriteTokens: 300))
        // 5000×3 + 20000×0.30 + 300×3.75 + 800×15 = 15000 + 6000 + 1125 + 12000 µ.
        #expect(Self.price.cost(of: final) == Money(micros: 34_125))
    }

    @Test("A message_delta that moves the prompt into the cache replaces the input: never counted twice")
    func deltaMovesInputToCache() throws {
        let start = try #require(
            UsageNormalizer.anthropic(try JSONValue.parse(Array(#"{"input_tokens":1000,"output_tokens":1}"#.utf8))))
        let delta = #"{"input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":50}"#
        let final = try #require(UsageNormalizer.anthropic(try JSONValue.parse(Array(delta.utf8)), over: start))
        #expect(final == TokenUsage(promptTokens: 1000, completionTokens: 50, cachedTokens: 1000))
    }

    @Test("An Anthropic stream whose message_delta reports no more output than message_start is not final")
    func placeholderOutputIsNotFinal() {
        func meter(_ delta: String) -> StreamMeter {
            var meter = StreamMeter(dialect: .anthropicMessages)
            let events = [
                #"{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":10,"output_tokens":1}}}"#,
                #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello there, friend"}}"#,
                #"{"type":"content_block_stop","index":0}"#,
                #"{"type":"message_delta","delta":{"stop_reason":"end_turn"}"# + delta + "}",
                #"{"type":"message_stop"}"#,
            ]
            meter.feed(Array(events.map { "data: " + $0 + "\n\n" }.joined().utf8))
            meter.finish()
            return meter
        }
        for delta in ["", #","usage":{}"#, #","usage":null"#, #","usage":{"input_tokens":10}"#] {
            let seen = meter(delta)
            #expect(seen.metering.sawEnd && !seen.metering.sawUsageReport, "\(delta)")
        }
        let reported = meter(#","usage":{"output_tokens":4}"#)
        #expect(reported.metering.sawUsageReport && reported.metering.usage?.completionTokens == 4)
    }

    @Test("A cache-write price left unset is the input price")
    func cacheWriteDefaultsToInput() {
        let price = ModelPrice(inputPerMillion: Money(micros: 3_000_000), outputPerMillion: Money(micros: 0))
        let usage = TokenUsage(promptTokens: 1000, completionTokens: 0, cacheWriteTokens: 400)
        #expect(price.cost(of: usage) == Money(micros: 3000))
    }

    @Test("Cache reads and writes above the prompt are clamped to it: never a negative input bucket")
    func clampedBuckets() {
        let usage = TokenUsage(promptTokens: 100, completionTokens: 0, cachedTokens: 80, cacheWriteTokens: 80)
        // 80 read at 0.30 and the 20 left written at 3.75: 24 + 75 = 99 µ.
        #expect(Self.price.cost(of: usage) == Money(micros: 99))
        #expect(usage.uncachedPromptTokens == 0)
    }
}
