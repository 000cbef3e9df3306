import Testing

@testable import WharfCore

@Suite("OpenAI chat request decoder")
struct OpenAIChatRequestDecoderTests {
    /// Decodes `json`.
    static func decode(_ json: String) throws(TranslationError) -> IRRequest {
        try OpenAIChatRequestDecoder.decode(Array(json.utf8))
    }

    /// The error decoding `json` throws, or nil.
    static func error(_ json: String) -> TranslationError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error
        }
    }

    @Test("Leading system and developer messages become the system; later ones stay in place")
    func systemMessages() throws {
        let request = try Self.decode(
            #"{"model":"m","messages":[{"role":"system","content":"A"},{"role":"developer","content":"B"},"#
                + #"{"role":"user","content":"Hi"},{"role":"system","content":"C"}]}"#)
        #expect(request.system == [.text("A"), .text("B")])
        #expect(request.messages.map(\.role) == [.user, .system])
        #expect(request.messages[1].parts == [.text("C")])
    }

    @Test("Tool calls keep their JSON argument text and tool messages become tool results")
    func toolCallsAndResults() throws {
        let request = try Self.decode(
            #"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"#
                + #""reasoning_content":"think","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","#
                + #""arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}"#)
        #expect(
            request.messages[1].parts == [
                .reasoning("think", signature: nil), .toolCall(id: "c1", name: "f", argumentsJSON: #"{"a":1}"#),
            ])
        #expect(
            request.messages[2]
                == IRMessage(
                    role: .tool, parts: [.toolResult(callID: "c1", name: nil, content: [.text("ok")], isError: false)]))
    }

    @Test("Sampling numbers keep their token text and stop may be a string")
    func sampling() throws {
        let request = try Self.decode(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.70,"top_p":1,"top_k":40,"#
                + #""stop":"END","max_tokens":10,"max_completion_tokens":20,"stream":true,"#
                + #""stream_options":{"include_usage":true},"seed":7,"user":"u"}"#)
        #expect(request.temperature == JSONNumber("0.70"))
        #expect(request.topP == JSONNumber("1"))
        #expect(request.topK == JSONNumber("40"))
        #expect(request.stopSequences == ["END"])
        #expect(request.maxOutputTokens == 20)
        #expect(request.stream && request.wantsUsageInStream)
        #expect(request.warnings == ["dropped:seed"])
    }

    @Test("Tool choice in every form, response formats and reasoning effort are read")
    func choicesAndFormats() throws {
        let base = #"{"model":"m","messages":[{"role":"user","content":"x"}],"#
        #expect(try Self.decode(base + #""tool_choice":"auto"}"#).toolChoice == .auto)
        #expect(try Self.decode(base + #""tool_choice":"none"}"#).toolChoice == IRToolChoice.none)
        #expect(try Self.decode(base + #""tool_choice":"required"}"#).toolChoice == .required)
        let named = base + #""tool_choice":{"type":"function","function":{"name":"f"}}}"#
        #expect(try Self.decode(named).toolChoice == .named("f"))
        #expect(try Self.decode(base + #""response_format":{"type":"json_object"}}"#).responseFormat == .jsonObject)
        let schema =
            base
            + #""response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"},"strict":true}}}"#
        #expect(
            try Self.decode(schema).responseFormat
                == .jsonSchema(name: "p", schema: .object([("type", .string("object"))]), strict: true))
        #expect(try Self.decode(base + #""reasoning_effort":"low"}"#).reasoning == .effort("low"))
        #expect(try Self.decode(base + #""reasoning_effort":"none"}"#).reasoning == .disabled)
        #expect(try Self.decode(base + #""parallel_tool_calls":false}"#).parallelToolCalls == false)
    }

    @Test("Images read as URLs or base64 media; a file part as a document")
    func media() throws {
        let request = try Self.decode(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"#
                + #""https://x.test/a.png"}},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/"}},"#
                + #"{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBE"}}]}]}"#)
        #expect(
            request.messages[0].parts == [
                .image(.url("https://x.test/a.png")), .image(.base64(mediaType: "image/jpeg", data: "/9j/")),
                .document(.base64(mediaType: "application/pdf", data: "JVBE"), title: "a.pdf"),
            ])
    }

    @Test("Bad bodies are refused with a message naming the field")
    func refusals() {
        #expect(Self.error("[]") == TranslationError("The request body is not a JSON object."))
        #expect(
            Self.error(#"{"model":"m","model":"n","messages":[]}"#)
                == TranslationError("The request body repeats a member name within one object."))
        #expect(Self.error(#"{"messages":[]}"#)?.param == "model")
        #expect(Self.error(#"{"model":"m"}"#)?.param == "messages")
        #expect(
            Self.error(#"{"model":"m","messages":{}}"#)
                == TranslationError("'messages' must be an array.", param: "messages"))
        #expect(Self.error(#"{"model":"m","messages":[]}"#)?.param == "messages")
        #expect(
            Self.error(#"{"model":"m","messages":[{"role":"wizard","content":"x"}]}"#)?.param == "messages[0].role")
        #expect(Self.error(#"{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}"#)?.param == "n")
        #expect(
            Self.error(#"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}"#)?.param
                == "temperature")
        #expect(
            Self.error(
                #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]}"#
            )?
            .param == "messages[0].content[0].image_url.url")
        #expect(
            Self.error(#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#)?.param
                == "messages[0].tool_call_id")
        #expect(
            Self.error(#"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom"}]}"#)?
                .param == "tools[0].type")
    }

    @Test("A TranslationError's description names the field but no content")
    func errorDescription() {
        #expect(TranslationError("'n' is wrong.", param: "n").description == "'n' is wrong. (n)")
    }
}
