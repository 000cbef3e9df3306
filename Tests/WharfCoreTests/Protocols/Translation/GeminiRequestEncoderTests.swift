import Testing

@testable import WharfCore

@Suite("Gemini request encoder")
struct GeminiRequestEncoderTests {
    /// OpenAI body → IR → Gemini body.
    static func fromOpenAI(_ body: [UInt8]) throws -> [UInt8] {
        GeminiRequestEncoder.encode(try OpenAIChatRequestDecoder.decode(body))
    }

    @Test("OpenAI system and developer messages become systemInstruction (T01)")
    func systemInstruction() throws {
        try TranslationFixture.check("t01-openai-system-and-developer-to-gemini", Self.fromOpenAI)
    }

    @Test("tool_choice required becomes mode ANY; schemas lose additionalProperties and $schema (T05)")
    func toolChoiceAny() throws {
        try TranslationFixture.check("t05-tool-choice-required-to-gemini", Self.fromOpenAI)
    }

    @Test("Tool messages become functionResponse parts named after the earlier calls, wrapped as objects (T08)")
    func functionResponses() throws {
        try TranslationFixture.check("t08-tool-message-to-gemini", Self.fromOpenAI)
    }

    @Test("json_schema becomes responseMimeType and a schema without additionalProperties (T14)")
    func jsonSchema() throws {
        try TranslationFixture.check("t14-json-schema-to-gemini", Self.fromOpenAI)
    }

    @Test("reasoning_effort high becomes a thinkingConfig (T15)")
    func thinkingConfig() throws {
        try TranslationFixture.check("t15-effort-high-to-gemini", Self.fromOpenAI)
    }

    @Test("Foreign tool-call history gets the bypass signature on the first call of the turn (T17)")
    func bypassSignature() throws {
        try TranslationFixture.check("t17-foreign-tool-history-to-gemini") { body in
            GeminiRequestEncoder.encode(try AnthropicRequestDecoder.decode(body))
        }
    }

    @Test("Stored Gemini signatures are replayed byte for byte (T17)")
    func signatureReplayed() throws {
        let answer = try GeminiResponseDecoder.decode(
            TranslationFixture.input("r-gemini-function-call-to-anthropic"), idSeed: "s1")
        let request = IRRequest(
            model: "m",
            messages: [
                IRMessage(role: .user, parts: [.text("Weather?")]),
                IRMessage(role: .assistant, parts: answer.content),
                IRMessage(
                    role: .tool,
                    parts: [
                        .toolResult(callID: "call_s1_0", name: nil, content: [.text("{\"temp\":18}")], isError: false),
                        .toolResult(callID: "call_s1_1", name: nil, content: [.text("noon")], isError: false),
                    ]),
            ])
        let body = String(decoding: GeminiRequestEncoder.encode(request), as: UTF8.self)
        let expected =
            #"{"contents":[{"role":"user","parts":[{"text":"Weather?"}]},{"role":"model","parts":[{"functionCall":"#
            + #"{"name":"weather","args":{"location":"San Francisco"}},"thoughtSignature":"EqUCCqICAb4+Hj4="},"#
            + #"{"functionCall":{"name":"time","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"#
            + #""weather","response":{"temp":18}}},{"functionResponse":{"name":"time","response":{"content":"noon"}}}]}]}"#
        #expect(body == expected)
    }

    @Test("The path percent-encodes the model and picks the SSE stream endpoint")
    func path() {
        #expect(
            GeminiRequestEncoder.path(upstreamModel: "gemini-2.5-flash", stream: false)
                == "/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(
            GeminiRequestEncoder.path(upstreamModel: "models/gemini 3/x", stream: true)
                == "/v1beta/models/gemini%203%2Fx:streamGenerateContent?alt=sse")
    }

    @Test("Image URLs become fileData with a MIME type guessed from the extension")
    func imageURLs() {
        #expect(GeminiRequestEncoder.mimeType(url: "https://x.test/a.PNG?s=1", default: "image/jpeg") == "image/png")
        #expect(GeminiRequestEncoder.mimeType(url: "https://x.test/photo", default: "image/jpeg") == "image/jpeg")
        #expect(GeminiRequestEncoder.mimeType(url: "https://x.test.dir/photo", default: "image/jpeg") == "image/jpeg")
        let request = IRRequest(
            model: "m",
            messages: [
                IRMessage(
                    role: .user,
                    parts: [
                        .image(.url("https://x.test/a.webp")), .image(.base64(mediaType: "image/gif", data: "R0l")),
                    ])
            ])
        let body = String(decoding: GeminiRequestEncoder.encode(request), as: UTF8.self)
        let expected =
            #"{"contents":[{"role":"user","parts":[{"fileData":{"mimeType":"image/webp","fileUri":"https://x.test/a.webp"}},"#
            + #"{"inlineData":{"mimeType":"image/gif","data":"R0l"}}]}]}"#
        #expect(body == expected)
    }
}
