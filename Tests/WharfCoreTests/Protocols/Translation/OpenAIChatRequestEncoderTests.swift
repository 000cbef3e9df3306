import Testing

@testable import WharfCore

@Suite("OpenAI chat request encoder")
struct OpenAIChatRequestEncoderTests {
    /// Anthropic body → IR → OpenAI body for `gpt-4.1`.
    static func fromAnthropic(_ body: [UInt8]) throws -> [UInt8] {
        OpenAIChatRequestEncoder.encode(try AnthropicRequestDecoder.decode(body), upstreamModel: "gpt-4.1")
    }

    @Test("A named Anthropic tool choice becomes an OpenAI function choice (T06)")
    func namedToolChoice() throws {
        try TranslationFixture.check("t06-anthropic-named-tool-choice-to-openai", Self.fromAnthropic)
    }

    @Test("An assistant turn with text then tool_use keeps its text; results become tool messages first (T10)")
    func textThenToolUse() throws {
        try TranslationFixture.check("t10-anthropic-text-then-tool-use-to-openai", Self.fromAnthropic)
    }

    @Test("Thinking blocks in history are stripped for OpenAI channels (T16)")
    func thinkingStripped() throws {
        try TranslationFixture.check("t16-anthropic-thinking-history-to-openai", Self.fromAnthropic)
    }

    @Test("A streamed request always asks upstream for usage")
    func streamAsksForUsage() {
        let request = IRRequest(model: "m", messages: [IRMessage(role: .user, parts: [.text("Hi")])], stream: true)
        let body = String(decoding: OpenAIChatRequestEncoder.encode(request, upstreamModel: "gpt-4.1"), as: UTF8.self)
        let expected =
            #"{"model":"gpt-4.1","messages":[{"role":"user","content":"Hi"}],"stream":true,"#
            + #""stream_options":{"include_usage":true}}"#
        #expect(body == expected)
    }

    @Test("Thinking budgets and adaptive thinking map to reasoning_effort")
    func reasoningEffort() {
        #expect(OpenAIChatRequestEncoder.reasoningEffort(.budget(1024)) == "low")
        #expect(OpenAIChatRequestEncoder.reasoningEffort(.budget(4096)) == "medium")
        #expect(OpenAIChatRequestEncoder.reasoningEffort(.budget(4097)) == "high")
        #expect(OpenAIChatRequestEncoder.reasoningEffort(.adaptive) == "medium")
        #expect(OpenAIChatRequestEncoder.reasoningEffort(.effort("high")) == "high")
        #expect(OpenAIChatRequestEncoder.reasoningEffort(.disabled) == nil)
    }

    @Test("Reasoning models get max_completion_tokens, others max_tokens")
    func maxTokensKey() {
        let request = IRRequest(
            model: "m", messages: [IRMessage(role: .user, parts: [.text("Hi")])], maxOutputTokens: 50)
        let reasoning = String(
            decoding: OpenAIChatRequestEncoder.encode(request, upstreamModel: "o3-mini"), as: UTF8.self)
        let plain = String(decoding: OpenAIChatRequestEncoder.encode(request, upstreamModel: "qwen3"), as: UTF8.self)
        #expect(reasoning.contains(#""max_completion_tokens":50"#))
        #expect(plain.contains(#""max_tokens":50"#))
    }

    @Test("Images in a tool result are dropped with a warning, text kept")
    func toolResultImages() {
        let request = IRRequest(
            model: "m",
            messages: [
                IRMessage(
                    role: .tool,
                    parts: [
                        .toolResult(
                            callID: "c1", name: nil,
                            content: [.text("see"), .image(.url("https://x.test/a.png")), .text("done")],
                            isError: false)
                    ])
            ])
        let result = OpenAIChatRequestEncoder.translate(request, upstreamModel: "gpt-4.1")
        let body = String(decoding: result.body, as: UTF8.self)
        #expect(body == #"{"model":"gpt-4.1","messages":[{"role":"tool","tool_call_id":"c1","content":"see\ndone"}]}"#)
        #expect(result.warnings == ["dropped:tool_result_media"])
    }
}
