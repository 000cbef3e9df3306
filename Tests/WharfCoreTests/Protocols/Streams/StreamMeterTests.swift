import Testing

@testable import WharfCore

@Suite("Stream meter and translator state")
struct StreamMeterTests {
    private func frames(_ objects: [String]) -> [UInt8] {
        Array(objects.map { "data: \($0)\n\n" }.joined().utf8)
    }

    @Test("Anthropic pass-through usage from message_start and message_delta is counted once, cache fields kept")
    func anthropicPassThroughCountedOnce() {
        let stream = frames([
            #"{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":12,"cache_creation_input_tokens":600,"cache_read_input_tokens":2048,"output_tokens":1}}}"#,
            #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo"}}"#,
            #"{"type":"content_block_stop","index":0}"#,
            #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":12,"cache_creation_input_tokens":600,"cache_read_input_tokens":2048,"output_tokens":9}}"#,
            #"{"type":"message_stop"}"#,
        ])
        var meter = StreamMeter(dialect: .anthropicMessages)
        meter.feed(stream)
        meter.finish()
        #expect(
            meter.metering.usage
                == TokenUsage(promptTokens: 2660, completionTokens: 9, cachedTokens: 2048, cacheWriteTokens: 600))
        #expect(meter.metering.textBytes == 6)
        #expect(meter.metering.sawEnd)
        #expect(!meter.metering.sawError)
    }

    @Test("An Anthropic stream cut after message_start keeps the start usage and has no end")
    func anthropicCutKeepsStartUsage() {
        var meter = StreamMeter(dialect: .anthropicMessages)
        meter.feed(frames([#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#]))
        meter.finish()
        #expect(meter.metering.usage == TokenUsage(promptTokens: 25, completionTokens: 1))
        #expect(!meter.metering.sawEnd)
        #expect(meter.billableUsage(estimatedPromptTokens: 99).promptTokens == 25)
    }

    @Test("A stream cut after some text bills the start's input and, as output, the text produced; logged as cut")
    func cutStreamCharge() {
        var meter = StreamMeter(dialect: .anthropicMessages)
        meter.feed(
            frames([
                #"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#,
                #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"twelve bytes"}}"#,
            ]))
        meter.finish()
        #expect(meter.billableUsage(estimatedPromptTokens: 99) == TokenUsage(promptTokens: 25, completionTokens: 3))
        #expect(meter.metering.status(clientLeft: false, overflowed: false) == "upstream_cut")
        #expect(meter.metering.status(clientLeft: true, overflowed: false) == "client_disconnected")
    }

    @Test("An error event is logged as an upstream error even when the stream also overflowed or did not end")
    func errorStatus() {
        var meter = StreamMeter(dialect: .anthropicMessages)
        meter.feed(frames([#"{"type":"error","error":{"type":"overloaded_error","message":"x"}}"#]))
        meter.finish()
        #expect(meter.metering.status(clientLeft: false, overflowed: true) == "upstream_error")
        #expect(meter.metering.status(clientLeft: false, overflowed: false) == "upstream_error")
    }

    @Test("Gemini pass-through takes the last usage, with thoughts counted as output, and ends at a finish reason")
    func geminiPassThrough() {
        var meter = StreamMeter(dialect: .gemini)
        meter.feed(
            frames([
                #"{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1,"thoughtsTokenCount":256}}"#,
                #"{"candidates":[{"content":{"parts":[{"text":" there"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9,"cachedContentTokenCount":4,"candidatesTokenCount":29,"thoughtsTokenCount":256}}"#,
            ]))
        #expect(!meter.metering.sawEnd)
        meter.finish()
        #expect(
            meter.metering.usage
                == TokenUsage(promptTokens: 9, completionTokens: 285, cachedTokens: 4, reasoningTokens: 256))
        #expect(meter.metering.textBytes == 8)
        #expect(meter.metering.sawEnd)
    }

    @Test("A meter past its event bound stops reading and says so")
    func meterOverflow() {
        var meter = StreamMeter(dialect: .openAIChat, maxEventBytes: 32)
        meter.feed(Array("data: {\"choices\":[{\"delta\":{\"content\":\"far too long for the bound\"}}]}".utf8))
        #expect(meter.overflowed)
        meter.finish()
        #expect(meter.metering.textBytes == 0)
        #expect(!meter.metering.sawEnd)
    }

    @Test("An overflowing translator ends its client stream with the truncation frame")
    func translatorOverflow() {
        var translator = StreamTranslator(
            from: .openAIChat, to: .anthropicMessages, id: "m", model: "p", created: 0, includeUsage: false,
            estimatedInputTokens: 3, maxEventBytes: 64)
        var out = translator.feed(Array("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n".utf8))
        out += translator.feed(Array(("data: " + String(repeating: "x", count: 100)).utf8))
        #expect(translator.overflowed)
        out += translator.finish()
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.contains(#""text":"ok""#))
        #expect(text.hasSuffix("the answer is truncated.\"}}\n\n"))
    }

    @Test("Two translators fed interleaved, byte by byte, never mix state")
    func interleavedTranslatorsStayApart() {
        guard
            let a = DialectStreamFixture.all.first(where: { $0.name == "openai-to-anthropic-parallel-tool-calls-f2" }),
            let b = DialectStreamFixture.all.first(where: { $0.name == "anthropic-to-openai-thinking-and-tool-call-f4" }
            )
        else {
            Issue.record("fixtures missing")
            return
        }
        var ta = a.translator()
        var tb = b.translator()
        var outA: [UInt8] = []
        var outB: [UInt8] = []
        for i in 0..<max(a.upstream.count, b.upstream.count) {
            if i < a.upstream.count { outA += ta.feed([a.upstream[i]]) }
            if i < b.upstream.count { outB += tb.feed([b.upstream[i]]) }
        }
        outB += tb.finish()
        outA += ta.finish()
        #expect(outA == a.expected)
        #expect(outB == b.expected)
        #expect(ta.metering.usage == a.usage)
        #expect(tb.metering.usage == b.usage)
    }

    @Test("Without any usage the billable usage is the prompt estimate plus the text estimate")
    func billableEstimate() {
        var translator = StreamTranslator(
            from: .openAIChat, to: .openAIChat, id: "c", model: "p", created: 0, includeUsage: true,
            estimatedInputTokens: 10)
        _ = translator.feed(Array("data: {\"choices\":[{\"delta\":{\"content\":\"12345\"}}]}\n\n".utf8))
        _ = translator.finish()
        #expect(translator.metering.usage == nil)
        #expect(
            translator.billableUsage(estimatedPromptTokens: 10) == TokenUsage(promptTokens: 10, completionTokens: 2))
    }
}

@Suite("Stream state descriptions")
struct StreamDescriptionTests {
    @Test("Translator, meter, reader and decoder descriptions never show stream content")
    func descriptionsRedact() {
        let secret =
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}},{\"index\":1,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"SECRET\"}}]}}]}\n\ndata: SECRET-PARTIAL"
        var translator = StreamTranslator(
            from: .openAIChat, to: .anthropicMessages, id: "m", model: "p", created: 0, includeUsage: false,
            estimatedInputTokens: 1)
        _ = translator.feed(Array(secret.utf8))
        var meter = StreamMeter(dialect: .openAIChat)
        meter.feed(Array(secret.utf8))
        var reader = SSEEventReader()
        _ = reader.feed(Array(secret.utf8))
        var decoder = OpenAIChatStreamDecoder()
        for event in SSEEventReader().feedAll(Array(secret.utf8)) { _ = decoder.decode(event) }
        for text in [
            String(describing: translator), String(describing: meter), String(describing: reader),
            String(describing: decoder),
        ] {
            #expect(!text.contains("SECRET"))
        }
    }
}

extension SSEEventReader {
    fileprivate func feedAll(_ bytes: [UInt8]) -> [SSEEvent] {
        var copy = self
        return copy.feed(bytes) + copy.finish()
    }
}
