import Testing

@testable import WharfCore

@Suite("Anthropic request encoder")
struct AnthropicRequestEncoderTests {
    /// OpenAI body → IR → Anthropic body for `model`.
    static func fromOpenAI(_ model: String = "claude-sonnet-4-5-20250929") -> ([UInt8]) throws -> [UInt8] {
        { body in
            AnthropicRequestEncoder.encode(
                try OpenAIChatRequestDecoder.decode(body), upstreamModel: model, defaultMaxTokens: 8192)
        }
    }

    @Test("OpenAI system and developer messages become one Anthropic system text, in order (T01)")
    func systemAndDeveloper() throws {
        try TranslationFixture.check("t01-openai-system-and-developer-to-anthropic", Self.fromOpenAI())
    }

    @Test("A request without max_tokens gets the channel default (T03)")
    func defaultMaxTokens() throws {
        try TranslationFixture.check("t03-openai-without-max-tokens-to-anthropic", Self.fromOpenAI())
    }

    @Test("With thinking, max_tokens is raised above the budget (T03)")
    func maxTokensAboveBudget() throws {
        try TranslationFixture.check("t03-openai-thinking-budget-raises-max-tokens-to-anthropic", Self.fromOpenAI())
        let request = try OpenAIChatRequestDecoder.decode(
            TranslationFixture.input("t03-openai-thinking-budget-raises-max-tokens-to-anthropic"))
        let warnings = AnthropicRequestEncoder.translate(
            request, upstreamModel: "claude-sonnet-4-5", defaultMaxTokens: 8192
        ).warnings
        #expect(warnings == ["max_tokens_raised_above_thinking_budget"])
    }

    @Test("A temperature above 1 is clamped to 1 with a warning, and top_p is not sent beside it (T04)")
    func temperatureClamped() throws {
        try TranslationFixture.check("t04-temperature-clamped-to-anthropic", Self.fromOpenAI())
        let request = try OpenAIChatRequestDecoder.decode(
            TranslationFixture.input("t04-temperature-clamped-to-anthropic"))
        let warnings = AnthropicRequestEncoder.translate(
            request, upstreamModel: "claude-sonnet-4-5", defaultMaxTokens: 8192
        ).warnings
        #expect(warnings == ["clamped:temperature", "dropped:top_p_with_temperature"])
    }

    @Test("With thinking on, temperature, top_k and a low top_p are removed (T04)")
    func samplingRemovedWithThinking() throws {
        try TranslationFixture.check("t04-temperature-removed-with-thinking-to-anthropic", Self.fromOpenAI())
        let request = try OpenAIChatRequestDecoder.decode(
            TranslationFixture.input("t04-temperature-removed-with-thinking-to-anthropic"))
        let warnings = AnthropicRequestEncoder.translate(
            request, upstreamModel: "claude-sonnet-4-5", defaultMaxTokens: 8192
        ).warnings
        #expect(warnings == ["dropped:temperature", "dropped:top_p", "dropped:top_k"])
    }

    @Test("tool_choice required becomes any, and parallel_tool_calls false disables parallel use (T05)")
    func toolChoiceRequired() throws {
        try TranslationFixture.check("t05-tool-choice-required-to-anthropic", Self.fromOpenAI())
    }

    @Test("Three tool messages become one user message of three tool_result blocks before the text (T07)")
    func threeToolResults() throws {
        try TranslationFixture.check("t07-three-tool-messages-to-anthropic", Self.fromOpenAI())
    }

    @Test("Empty assistant content and blank user text produce no empty text block (T09)")
    func noEmptyTextBlocks() throws {
        try TranslationFixture.check("t09-empty-assistant-content-to-anthropic", Self.fromOpenAI())
    }

    @Test("An https image becomes a url source and a data URL a base64 source, nothing fetched (T12)")
    func images() throws {
        try TranslationFixture.check("t12-openai-image-url-and-data-url-to-anthropic", Self.fromOpenAI())
    }

    @Test("reasoning_effort high becomes a 4096 thinking budget on a 4.5 model (T15)")
    func effortOnBudgetModel() throws {
        try TranslationFixture.check("t15-effort-high-to-anthropic-sonnet-4-5", Self.fromOpenAI())
    }

    @Test("reasoning_effort high becomes adaptive thinking with effort high on an opus 4.7 model (T15)")
    func effortOnAdaptiveModel() throws {
        try TranslationFixture.check("t15-effort-high-to-anthropic-opus-4-7", Self.fromOpenAI("claude-opus-4-7"))
    }

    @Test("Signed thinking and redacted thinking in history pass to Anthropic unchanged (T16)")
    func thinkingHistoryKept() throws {
        try TranslationFixture.check("t16-anthropic-thinking-history-to-anthropic") { body in
            AnthropicRequestEncoder.encode(
                try AnthropicRequestDecoder.decode(body), upstreamModel: "claude-sonnet-4-5-20250929",
                defaultMaxTokens: 8192)
        }
    }

    @Test("cache_control with ttl 1h from an OpenAI client survives on system, content and tools (T18)")
    func cacheControlTTL() throws {
        try TranslationFixture.check("t18-openai-cache-control-ttl-to-anthropic", Self.fromOpenAI())
    }

    @Test("Reasoning signed by another provider, or unsigned, is not sent to Anthropic")
    func foreignReasoningDropped() throws {
        let request = IRRequest(
            model: "m",
            messages: [
                IRMessage(role: .user, parts: [.text("Hi")]),
                IRMessage(
                    role: .assistant,
                    parts: [
                        .reasoning("gemini thought", signature: IRSignature(dialect: .gemini, value: "g")),
                        .reasoning("plain thought", signature: nil), .text("Hello"),
                    ]),
            ])
        let body = String(
            decoding: AnthropicRequestEncoder.encode(
                request, upstreamModel: "claude-sonnet-4-5", defaultMaxTokens: 100),
            as: UTF8.self)
        let expected =
            #"{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","#
            + #""text":"Hi"}]},{"role":"assistant","content":[{"type":"text","text":"Hello"}]}]}"#
        #expect(body == expected)
    }

    @Test("Mid-conversation system messages are appended to the system text")
    func laterSystemAppended() throws {
        let request = IRRequest(
            model: "m", system: [.text("First.")],
            messages: [
                IRMessage(role: .user, parts: [.text("Hi")]), IRMessage(role: .system, parts: [.text("Later.")]),
                IRMessage(role: .user, parts: [.text("Again")]),
            ])
        let body = String(
            decoding: AnthropicRequestEncoder.encode(request, upstreamModel: "claude-x", defaultMaxTokens: 10),
            as: UTF8.self)
        let expected =
            #"{"model":"claude-x","max_tokens":10,"system":"First.\n\nLater.","messages":[{"role":"user","#
            + #""content":[{"type":"text","text":"Hi"},{"type":"text","text":"Again"}]}]}"#
        #expect(body == expected)
    }

    @Test("Tool ids are rewritten to Anthropic's alphabet")
    func toolIDs() {
        #expect(AnthropicRequestEncoder.toolID("functions.Bash:0") == "functions_Bash_0")
        #expect(AnthropicRequestEncoder.toolID("toolu_01-A") == "toolu_01-A")
        #expect(AnthropicRequestEncoder.toolID("") == "_")
    }

    @Test("Claude model names map to their thinking mode")
    func thinkingModes() {
        #expect(AnthropicThinkingMode(model: "claude-sonnet-4-5-20250929") == .budgetOnly)
        #expect(AnthropicThinkingMode(model: "claude-opus-4-6") == .adaptiveOrBudget)
        #expect(AnthropicThinkingMode(model: "claude-opus-4-7") == .adaptiveOnly)
        #expect(AnthropicThinkingMode(model: "claude-opus-4-20250514") == .budgetOnly)
        #expect(AnthropicThinkingMode(model: "claude-sonnet-5") == .adaptiveOnly)
        #expect(AnthropicThinkingMode(model: "my-deployment") == .budgetOnly)
    }

    @Test("A forced tool choice becomes auto under thinking, which allows only auto and none")
    func forcedToolChoiceWithThinking() {
        let request = IRRequest(
            model: "m", messages: [IRMessage(role: .user, parts: [.text("Hi")])],
            tools: [IRTool(name: "t", inputSchema: .object([]))], toolChoice: .required, reasoning: .budget(2000))
        let result = AnthropicRequestEncoder.translate(
            request, upstreamModel: "claude-sonnet-4-5", defaultMaxTokens: 8000)
        let body = String(decoding: result.body, as: UTF8.self)
        #expect(body.contains(#""tool_choice":{"type":"auto"}"#))
        #expect(result.warnings == ["tool_choice_relaxed_for_thinking"])
    }
}
