import Testing

@testable import WharfCore

@Suite("Stream decoders")
struct StreamDecoderTests {
    private func decode<D: IRStreamDecoder>(_ decoder: D, _ datas: [String]) -> [IREvent] {
        var decoder = decoder
        var events: [IREvent] = []
        for data in datas { events += decoder.decode(SSEEvent(text: data)) }
        return events + decoder.finish()
    }

    private func chunk(_ delta: String, finish: String = "null") -> String {
        "{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":\(delta),\"finish_reason\":\(finish)}]}"
    }

    @Test("OpenAI fragments of two interleaved tool calls become two whole sequential blocks")
    func openAIInterleavedCalls() {
        let events = decode(
            OpenAIChatStreamDecoder(),
            [
                chunk(#"{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{\"x\":"}}]}"#),
                chunk(#"{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{\"y\":"}}]}"#),
                chunk(#"{"tool_calls":[{"index":1,"function":{"arguments":"2}"}}]}"#),
                chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}"#),
                chunk("{}", finish: "\"tool_calls\""),
                "[DONE]",
            ])
        #expect(
            events == [
                .start(id: "c", model: "m", usage: nil),
                .blockStart(index: 0, .toolCall(id: "a", name: "f")),
                .toolArgumentsDelta(index: 0, #"{"x":"#),
                .toolArgumentsDelta(index: 0, "1}"),
                .blockStop(index: 0),
                .blockStart(index: 1, .toolCall(id: "b", name: "g")),
                .toolArgumentsDelta(index: 1, #"{"y":2}"#),
                .blockStop(index: 1),
                .finish(.toolUse, stopSequence: nil),
                .end,
            ])
    }

    @Test("Parallel calls that all say index 0 (Ollama) stay two calls, and a finish of stop after them is a tool use")
    func openAICallsSharingAnIndex() {
        let events = decode(
            OpenAIChatStreamDecoder(),
            [
                chunk(#"{"tool_calls":[{"index":0,"id":"a","function":{"name":"w","arguments":"{\"f\":1}"}}]}"#),
                chunk(#"{"tool_calls":[{"index":0,"id":"b","function":{"name":"w","arguments":"{\"f\":2}"}}]}"#),
                chunk("{}", finish: "\"stop\""),
                "[DONE]",
            ])
        #expect(
            events == [
                .start(id: "c", model: "m", usage: nil),
                .blockStart(index: 0, .toolCall(id: "a", name: "w")),
                .toolArgumentsDelta(index: 0, #"{"f":1}"#),
                .blockStop(index: 0),
                .blockStart(index: 1, .toolCall(id: "b", name: "w")),
                .toolArgumentsDelta(index: 1, #"{"f":2}"#),
                .blockStop(index: 1),
                .finish(.toolUse, stopSequence: nil),
                .end,
            ])
    }

    @Test("A server that sends a new id with every fragment of one call still makes one call")
    func openAIChangingIDs() {
        let events = decode(
            OpenAIChatStreamDecoder(),
            [
                chunk(#"{"tool_calls":[{"index":0,"id":"A","function":{"name":"f","arguments":""}}]}"#),
                chunk(#"{"tool_calls":[{"index":0,"id":"B","function":{"arguments":"{\"q\":"}}]}"#),
                chunk(#"{"tool_calls":[{"index":0,"id":"C","function":{"arguments":"1}"}}]}"#),
                chunk("{}", finish: "\"tool_calls\""),
            ])
        #expect(
            events == [
                .start(id: "c", model: "m", usage: nil),
                .blockStart(index: 0, .toolCall(id: "A", name: "f")),
                .toolArgumentsDelta(index: 0, #"{"q":"#),
                .toolArgumentsDelta(index: 0, "1}"),
                .blockStop(index: 0),
                .finish(.toolUse, stopSequence: nil),
            ])
    }

    @Test("An OpenAI chunk with text and a finish reason keeps the text before the finish")
    func openAIContentWithFinish() {
        let events = decode(OpenAIChatStreamDecoder(), [chunk(#"{"content":"all"}"#, finish: "\"stop\"")])
        #expect(
            events == [
                .start(id: "c", model: "m", usage: nil), .blockStart(index: 0, .text), .textDelta(index: 0, "all"),
                .blockStop(index: 0), .finish(.endTurn, stopSequence: nil),
            ])
    }

    @Test("An OpenAI reasoning field opens a reasoning block, and the end of input makes no end event")
    func openAIReasoning() {
        let events = decode(OpenAIChatStreamDecoder(), [chunk(#"{"reasoning":"hmm"}"#)])
        #expect(
            events == [
                .start(id: "c", model: "m", usage: nil), .blockStart(index: 0, .reasoning),
                .reasoningDelta(index: 0, "hmm"), .blockStop(index: 0),
            ])
    }

    @Test("An upstream error's own words never reach the IR, and nothing after the error is read")
    func errorMessagesAreWharfs() {
        let openAI = decode(
            OpenAIChatStreamDecoder(),
            [#"{"error":{"message":"db password is hunter2","type":"rate_limit_error"}}"#, chunk(#"{"content":"x"}"#)])
        #expect(
            openAI == [
                .error(
                    IRError(
                        kind: .rateLimit, status: 429,
                        message: "The upstream provider reported an error during the stream."))
            ])
        let anthropic = decode(
            AnthropicStreamDecoder(), [#"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#])
        #expect(
            anthropic == [
                .error(IRError(kind: .overloaded, status: 529, message: "The upstream provider is overloaded."))
            ])
    }

    @Test("Anthropic usage from message_start and a cumulative message_delta is laid over, never added")
    func anthropicUsageSnapshot() {
        let events = decode(
            AnthropicStreamDecoder(),
            [
                #"{"type":"message_start","message":{"id":"m1","model":"c","usage":{"input_tokens":43,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}}"#,
                #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":61,"output_tokens":30}}"#,
                #"{"type":"message_delta","delta":{},"usage":{"output_tokens":35}}"#,
                #"{"type":"message_stop"}"#,
            ])
        let start = TokenUsage(promptTokens: 163, completionTokens: 1, cachedTokens: 100, cacheWriteTokens: 20)
        #expect(
            events == [
                .start(id: "m1", model: "c", usage: start),
                .usage(TokenUsage(promptTokens: 181, completionTokens: 30, cachedTokens: 100, cacheWriteTokens: 20)),
                .finish(.endTurn, stopSequence: nil),
                .usage(TokenUsage(promptTokens: 181, completionTokens: 35, cachedTokens: 100, cacheWriteTokens: 20)),
                .end,
            ])
    }

    @Test("Anthropic redacted thinking, a tool call's empty first fragment and signature deltas decode apart")
    func anthropicBlocks() {
        let events = decode(
            AnthropicStreamDecoder(),
            [
                #"{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"opaque"}}"#,
                #"{"type":"content_block_stop","index":0}"#,
                #"{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
                #"{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"s1"}}"#,
                #"{"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"s2"}}"#,
                #"{"type":"content_block_stop","index":1}"#,
                #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"t","name":"n","input":{}}}"#,
                #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"#,
            ])
        #expect(
            events == [
                .blockStart(index: 0, .redactedReasoning(data: "opaque")), .blockStop(index: 0),
                .blockStart(index: 1, .reasoning), .signatureDelta(index: 1, "s1"), .signatureDelta(index: 1, "s2"),
                .blockStop(index: 1), .blockStart(index: 2, .toolCall(id: "t", name: "n")), .blockStop(index: 2),
            ])
    }

    @Test("Gemini function calls get a stream-wide index and seeded ids, and a signature lands on its block")
    func geminiCalls() {
        let events = decode(
            GeminiStreamDecoder(idSeed: "s"),
            [
                #"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"a","args":{"k":1}},"thoughtSignature":"sig"}]}}]}"#,
                #"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"b"}}]},"finishReason":"STOP"}]}"#,
            ])
        #expect(
            events == [
                .start(id: "gen_s", model: "", usage: nil),
                .blockStart(index: 0, .toolCall(id: "call_s_0", name: "a")), .toolArgumentsDelta(index: 0, #"{"k":1}"#),
                .signatureDelta(index: 0, "sig"), .blockStop(index: 0),
                .blockStart(index: 1, .toolCall(id: "call_s_1", name: "b")), .toolArgumentsDelta(index: 1, "{}"),
                .blockStop(index: 1), .finish(.toolUse, stopSequence: nil), .end,
            ])
    }

    @Test("A Gemini stream with no finish reason ends without an end event, and safety stops are refusals")
    func geminiEnd() {
        let cut = decode(GeminiStreamDecoder(idSeed: "s"), [#"{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}"#])
        #expect(cut.last == .blockStop(index: 0))
        let safety = decode(GeminiStreamDecoder(idSeed: "s"), [#"{"candidates":[{"finishReason":"SAFETY"}]}"#])
        #expect(safety.suffix(2) == [.finish(.refusal, stopSequence: nil), .end])
    }
}
