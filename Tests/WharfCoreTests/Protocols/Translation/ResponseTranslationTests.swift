import Testing

@testable import WharfCore

@Suite("Response translation")
struct ResponseTranslationTests {
    /// The Unix time shown in translated OpenAI answers.
    static let created: Int64 = 1_770_933_892

    @Test("An Anthropic answer with cache reads reaches an OpenAI client with prompt 2060 and cached 2048 (T32)")
    func anthropicCacheUsageToOpenAI() throws {
        try TranslationFixture.check("r-anthropic-cache-usage-to-openai") { body in
            OpenAIChatResponseEncoder.encode(try AnthropicResponseDecoder.decode(body), created: Self.created)
        }
    }

    @Test("Anthropic thinking and tool use reach an OpenAI client as reasoning_content and tool_calls")
    func anthropicToolUseToOpenAI() throws {
        try TranslationFixture.check("r-anthropic-thinking-and-tool-use-to-openai") { body in
            OpenAIChatResponseEncoder.encode(try AnthropicResponseDecoder.decode(body), created: Self.created)
        }
    }

    @Test("OpenAI tool calls reach an Anthropic client as tool_use blocks with input objects and clean ids")
    func openAIToolCallsToAnthropic() throws {
        try TranslationFixture.check("r-openai-tool-calls-to-anthropic") { body in
            AnthropicResponseEncoder.encode(try OpenAIChatResponseDecoder.decode(body))
        }
    }

    @Test("Gemini thoughts reach an OpenAI client with output 285 and reasoning 256 (T34)")
    func geminiThoughtsToOpenAI() throws {
        try TranslationFixture.check("r-gemini-thoughts-to-openai") { body in
            OpenAIChatResponseEncoder.encode(
                try GeminiResponseDecoder.decode(body, idSeed: "s1"), created: Self.created)
        }
    }

    @Test("Gemini thoughts reach an Anthropic client as an unsigned thinking block with output 285 (T34)")
    func geminiThoughtsToAnthropic() throws {
        try TranslationFixture.check("r-gemini-thoughts-to-anthropic") { body in
            AnthropicResponseEncoder.encode(try GeminiResponseDecoder.decode(body, idSeed: "s1"))
        }
    }

    @Test("Gemini function calls under STOP reach an Anthropic client as tool_use with generated ids")
    func geminiFunctionCallsToAnthropic() throws {
        try TranslationFixture.check("r-gemini-function-call-to-anthropic") { body in
            AnthropicResponseEncoder.encode(try GeminiResponseDecoder.decode(body, idSeed: "s1"))
        }
        let answer = try GeminiResponseDecoder.decode(
            TranslationFixture.input("r-gemini-function-call-to-anthropic"), idSeed: "s1")
        #expect(answer.finish == .toolUse)
        guard case .toolCall(_, _, _, let signature) = answer.content.first else {
            Issue.record("no tool call")
            return
        }
        #expect(signature == IRSignature(dialect: .gemini, value: "EqUCCqICAb4+Hj4="))
    }

    @Test("A Gemini blocked prompt reaches an OpenAI client as content_filter with no content (T28)")
    func blockedPromptToOpenAI() throws {
        try TranslationFixture.check("r-gemini-blocked-prompt-to-openai") { body in
            OpenAIChatResponseEncoder.encode(
                try GeminiResponseDecoder.decode(body, idSeed: "s1"), created: Self.created)
        }
    }

    @Test("A Gemini blocked prompt reaches an Anthropic client as a refusal with no content (T28)")
    func blockedPromptToAnthropic() throws {
        try TranslationFixture.check("r-gemini-blocked-prompt-to-anthropic") { body in
            AnthropicResponseEncoder.encode(try GeminiResponseDecoder.decode(body, idSeed: "s1"))
        }
    }

    @Test("Finish reasons map between dialects")
    func finishReasons() {
        #expect(FinishReasonMap.openAI(.pauseTurn) == "stop")
        #expect(FinishReasonMap.openAI(.contextWindowExceeded) == "length")
        #expect(FinishReasonMap.anthropic(.other("weird")) == "end_turn")
        #expect(FinishReasonMap.fromGemini("STOP", sawToolCall: true) == .toolUse)
        #expect(FinishReasonMap.fromGemini("RECITATION", sawToolCall: false) == .refusal)
        #expect(
            FinishReasonMap.fromGemini("MALFORMED_FUNCTION_CALL", sawToolCall: false)
                == .other("MALFORMED_FUNCTION_CALL"))
        #expect(FinishReasonMap.fromAnthropic("refusal") == .refusal)
        #expect(FinishReasonMap.fromOpenAI("content_filter") == .refusal)
    }

    @Test("A stop sequence reaches an Anthropic client with its text")
    func stopSequence() {
        let response = IRResponse(
            id: "msg_1", model: "m", content: [.text("a"), .text("")], finish: .stopSequence, stopSequence: "END",
            usage: nil)
        let body = String(decoding: AnthropicResponseEncoder.encode(response), as: UTF8.self)
        let expected =
            #"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"a"}],"#
            + #""stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":0,"#
            + #""cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}"#
        #expect(body == expected)
    }

    @Test("Upstream answers that are not answers are refused")
    func badAnswers() {
        #expect(throws: TranslationError.self) { try OpenAIChatResponseDecoder.decode(Array(#"{"choices":[]}"#.utf8)) }
        #expect(throws: TranslationError.self) { try AnthropicResponseDecoder.decode(Array(#"{"id":"x"}"#.utf8)) }
        #expect(throws: TranslationError.self) {
            try GeminiResponseDecoder.decode(Array(#"{"usageMetadata":{}}"#.utf8), idSeed: "s")
        }
    }
}
