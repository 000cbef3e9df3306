import Testing

@testable import WharfCore

@Suite("Upstream errors and client error envelopes")
struct UpstreamErrorTests {
    /// Reads an upstream error fixture at `status` and writes it for an Anthropic client.
    static func toAnthropic(status: Int) -> ([UInt8]) -> [UInt8] {
        { body in ErrorEnvelope.anthropic(UpstreamErrorReader.read(status: status, body: body)) }
    }

    /// Reads an upstream error fixture at `status` and writes it for an OpenAI client.
    static func toOpenAI(status: Int) -> ([UInt8]) -> [UInt8] {
        { body in ErrorEnvelope.openAI(UpstreamErrorReader.read(status: status, body: body), code: nil) }
    }

    @Test("Anthropic's prompt-too-long 400 reaches an Anthropic client with its type and phrase intact (T40)")
    func promptTooLongToAnthropic() throws {
        try TranslationFixture.check("e-anthropic-prompt-too-long-to-anthropic", Self.toAnthropic(status: 400))
    }

    @Test("Anthropic's prompt-too-long reaches an OpenAI client in OpenAI's wording with context_length_exceeded")
    func promptTooLongToOpenAI() throws {
        try TranslationFixture.check("e-anthropic-prompt-too-long-to-openai", Self.toOpenAI(status: 400))
    }

    @Test("OpenAI's context-length error reaches an Anthropic client as prompt is too long, without the echo")
    func openAIContextToAnthropic() throws {
        try TranslationFixture.check("e-openai-context-length-to-anthropic", Self.toAnthropic(status: 400))
    }

    @Test("An arbitrary upstream message echoing the prompt is replaced by Wharf's own (T40)")
    func echoReplacedForAnthropic() throws {
        try TranslationFixture.check("e-upstream-echo-replaced-to-anthropic", Self.toAnthropic(status: 400))
        let bytes = Self.toAnthropic(status: 400)(try TranslationFixture.input("e-upstream-echo-replaced-to-anthropic"))
        #expect(!String(decoding: bytes, as: UTF8.self).contains("secret"))
    }

    @Test("A Gemini quota error reaches an OpenAI client as a rate limit without the upstream text")
    func geminiQuotaToOpenAI() throws {
        try TranslationFixture.check("e-gemini-echo-replaced-to-openai", Self.toOpenAI(status: 429))
    }

    @Test("The kind follows the status, refined by a known upstream type")
    func kinds() {
        func kind(_ status: Int, _ body: String = "") -> IRErrorKind {
            UpstreamErrorReader.read(status: status, body: Array(body.utf8)).kind
        }
        #expect(kind(400) == .invalidRequest)
        #expect(kind(401) == .authentication)
        #expect(kind(403) == .permission)
        #expect(kind(404) == .notFound)
        #expect(kind(413) == .requestTooLarge)
        #expect(kind(429) == .rateLimit)
        #expect(kind(529) == .overloaded)
        #expect(kind(503) == .overloaded)
        #expect(kind(502) == .api)
        #expect(
            kind(500, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#) == .overloaded)
        #expect(kind(400, #"{"error":{"code":400,"message":"x","status":"PERMISSION_DENIED"}}"#) == .permission)
        #expect(kind(400, #"{"error":{"type":"made_up","message":"x"}}"#) == .invalidRequest)
        #expect(kind(502, "<html>bad gateway</html>") == .api)
    }

    @Test("Allowlisted phrases are rebuilt from their numbers only")
    func phrases() {
        #expect(
            SafeErrorPhrase.find(in: "prompt is too long: 226360 tokens > 200000 maximum; SECRET")
                == .promptTooLong(tokens: 226_360, maximum: 200_000))
        let gemini = "The input token count (1193214) exceeds the maximum number of tokens allowed (1048576)."
        #expect(SafeErrorPhrase.find(in: gemini) == .promptTooLong(tokens: 1_193_214, maximum: 1_048_576))
        let overflow =
            "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or "
            + "`max_tokens` and try again"
        #expect(
            SafeErrorPhrase.find(in: overflow)
                == .inputAndMaxTokensExceedContext(input: 188_240, maxTokens: 21_333, limit: 200_000))
        #expect(SafeErrorPhrase.find(in: overflow)?.anthropicMessage == overflow)
        let budget = "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation"
        #expect(SafeErrorPhrase.find(in: budget) == .maxTokensNotAboveThinkingBudget)
        let tooLarge = "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-x"
        #expect(SafeErrorPhrase.find(in: tooLarge) == .maxTokensTooLarge(requested: 64001, maximum: 64000))
        let openAITooLarge =
            "max_tokens is too large: 100000. This model supports at most 16384 completion tokens, whereas you provided 100000."
        #expect(SafeErrorPhrase.find(in: openAITooLarge) == .maxTokensTooLarge(requested: 100_000, maximum: 16384))
        #expect(SafeErrorPhrase.find(in: "my secret prompt") == nil)
    }

    @Test("Every phrase reads back from both of its wordings")
    func phraseRoundTrip() {
        let phrases: [SafeErrorPhrase] = [
            .promptTooLong(tokens: 5, maximum: 4), .contextExceeded(maximum: 4), .contextExceeded(maximum: nil),
            .maxTokensTooLarge(requested: 9, maximum: 8), .maxTokensNotAboveThinkingBudget,
        ]
        for phrase in phrases {
            #expect(SafeErrorPhrase.find(in: phrase.anthropicMessage) == phrase)
            #expect(SafeErrorPhrase.find(in: phrase.openAIMessage) == phrase)
        }
        let overflow = SafeErrorPhrase.inputAndMaxTokensExceedContext(input: 3, maxTokens: 2, limit: 4)
        #expect(SafeErrorPhrase.find(in: overflow.anthropicMessage) == overflow)
        #expect(SafeErrorPhrase.find(in: overflow.openAIMessage) == .promptTooLong(tokens: 5, maximum: 4))
    }

    @Test("A context_length_exceeded code without a readable message still says the context was exceeded")
    func contextCodeOnly() {
        let error = UpstreamErrorReader.read(
            status: 400,
            body: Array(
                #"{"error":{"message":"blah my secret","type":"invalid_request_error","code":"context_length_exceeded"}}"#
                    .utf8))
        #expect(error.message == "This model's maximum context length was exceeded.")
        let body = String(decoding: ErrorEnvelope.openAI(error, code: nil), as: UTF8.self)
        let expected =
            #"{"error":{"message":"This model's maximum context length was exceeded.","type":"invalid_request_error","#
            + #""param":null,"code":"context_length_exceeded"}}"#
        #expect(body == expected)
    }

    @Test("Every kind has an Anthropic and an OpenAI type name")
    func typeNames() {
        #expect(ErrorEnvelope.anthropicType(.requestTooLarge) == "request_too_large")
        #expect(ErrorEnvelope.anthropicType(.overloaded) == "overloaded_error")
        #expect(ErrorEnvelope.openAIType(.overloaded) == "server_error")
        #expect(ErrorEnvelope.openAIType(.rateLimit) == "rate_limit_error")
    }
}
