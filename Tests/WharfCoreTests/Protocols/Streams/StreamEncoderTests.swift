import Testing

@testable import WharfCore

@Suite("Stream encoders")
struct StreamEncoderTests {
    private func anthropic(_ events: [IREvent], finish: Bool = true) -> String {
        var encoder = AnthropicStreamEncoder(id: "msg_1", model: "m", estimatedInputTokens: 7)
        var out: [UInt8] = []
        for event in events { encoder.encode(event, into: &out) }
        if finish { encoder.finish(into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    private func openAI(_ events: [IREvent], includeUsage: Bool = true) -> String {
        var encoder = OpenAIChatStreamEncoder(id: "c1", model: "m", created: 5, includeUsage: includeUsage)
        var out: [UInt8] = []
        for event in events { encoder.encode(event, into: &out) }
        encoder.finish(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func frames(_ text: String) -> [String] {
        text.split(separator: "\n\n").map { String($0) }
    }

    @Test("The Anthropic encoder closes an open block before opening another, even when the decoder did not")
    func anthropicGuardsOneOpenBlock() {
        let text = anthropic([
            .blockStart(index: 0, .reasoning), .reasoningDelta(index: 0, "r"),
            .blockStart(index: 1, .toolCall(id: "functions.x:0", name: "x")),
            .toolArgumentsDelta(index: 1, "{}"), .reasoningDelta(index: 0, "late"), .end,
        ])
        let types = frames(text).map { $0.split(separator: "\n")[0] }
        #expect(
            types == [
                "event: message_start", "event: content_block_start", "event: content_block_delta",
                "event: content_block_stop", "event: content_block_start", "event: content_block_delta",
                "event: content_block_stop", "event: message_delta", "event: message_stop",
            ])
        #expect(text.contains(#""id":"functions_x_0","name":"x","input":{}"#))
        #expect(!text.contains("late"))
    }

    @Test("The Anthropic encoder drops blank text before any block and never opens an empty text block")
    func anthropicSkipsBlankText() {
        let text = anthropic([
            .blockStart(index: 0, .text), .textDelta(index: 0, "\n\n"), .blockStop(index: 0),
            .blockStart(index: 1, .toolCall(id: "t", name: "n")), .blockStop(index: 1),
            .blockStart(index: 2, .text), .blockStop(index: 2), .finish(.toolUse, stopSequence: nil), .end,
        ])
        #expect(!text.contains(#""type":"text""#))
        #expect(text.contains(#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use""#))
        #expect(text.contains(#""stop_reason":"tool_use""#))
    }

    @Test("A signature is written only on a thinking block, and never as text")
    func anthropicSignatureOnlyOnThinking() {
        let text = anthropic([
            .blockStart(index: 0, .text), .textDelta(index: 0, "hi"), .signatureDelta(index: 0, "SIG1"),
            .blockStop(index: 0), .blockStart(index: 1, .reasoning), .signatureDelta(index: 1, "SIG2"), .end,
        ])
        #expect(!text.contains("SIG1"))
        #expect(text.contains(#"{"type":"signature_delta","signature":"SIG2"}"#))
        let openAIText = openAI([.blockStart(index: 0, .reasoning), .signatureDelta(index: 0, "SIG"), .end])
        #expect(!openAIText.contains("SIG"))
    }

    @Test("With no usage at all, the Anthropic message_delta repeats the estimated input and estimates the output")
    func anthropicEstimatesWithoutUsage() {
        let text = anthropic([.blockStart(index: 0, .text), .textDelta(index: 0, "12345678"), .end])
        #expect(text.contains(#""input_tokens":7,"cache_creation_input_tokens":0"#))
        #expect(
            text.contains(
                #""usage":{"input_tokens":7,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}"#
            ))
    }

    @Test("Nothing is written after an error, and a finished stream gets no truncation frame")
    func nothingAfterError() {
        let error = IRError(kind: .api, status: 500, message: "m")
        let text = anthropic([.error(error), .blockStart(index: 0, .text), .textDelta(index: 0, "x"), .end])
        #expect(frames(text).count == 1)
        #expect(text.hasPrefix("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""))
        let openAIText = openAI([.error(error), .textDelta(index: 0, "x"), .end])
        #expect(
            openAIText
                == "data: {\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"code\":\"upstream_error\"}}\n\n")
        #expect(!openAI([.end]).contains("error"))
    }

    @Test("The OpenAI encoder numbers tool calls densely whatever blocks come before them")
    func openAIDenseToolIndexes() {
        let text = openAI([
            .blockStart(index: 0, .text), .textDelta(index: 0, "a"), .blockStop(index: 0),
            .blockStart(index: 1, .reasoning), .blockStop(index: 1),
            .blockStart(index: 2, .toolCall(id: "x", name: "f")), .toolArgumentsDelta(index: 2, "{}"),
            .blockStop(index: 2), .blockStart(index: 3, .toolCall(id: "y", name: "g")), .blockStop(index: 3),
            .end,
        ])
        #expect(
            text.contains(
                #"{"tool_calls":[{"index":0,"id":"x","type":"function","function":{"name":"f","arguments":""}}]}"#))
        #expect(text.contains(#"{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}"#))
        #expect(text.contains(#"{"tool_calls":[{"index":1,"id":"y","type":"function""#))
        #expect(text.hasSuffix(#""finish_reason":"stop"}]}"# + "\n\ndata: [DONE]\n\n"))
    }

    @Test("An OpenAI usage chunk adds cache writes only when there are some, and total is prompt plus completion")
    func openAIUsageReencoding() {
        let usage = TokenUsage(
            promptTokens: 1100, completionTokens: 50, cachedTokens: 1000, cacheWriteTokens: 60, reasoningTokens: 10)
        let text = openAI([.usage(usage), .finish(.endTurn, stopSequence: nil), .end])
        let expected =
            #""choices":[],"usage":{"prompt_tokens":1100,"completion_tokens":50,"total_tokens":1150,"#
            + #""prompt_tokens_details":{"cached_tokens":1000,"cache_write_tokens":60},"#
            + #""completion_tokens_details":{"reasoning_tokens":10}}}"#
        #expect(text.contains(expected))
        #expect(!openAI([.usage(usage), .end], includeUsage: false).contains("usage"))
    }

    @Test("JSON strings are escaped in frames")
    func escaping() {
        let text = openAI([.blockStart(index: 0, .text), .textDelta(index: 0, "a\"b\\c\n\u{1}"), .end])
        #expect(text.contains(#"{"content":"a\"b\\c\n\u0001"}"#))
    }
}
