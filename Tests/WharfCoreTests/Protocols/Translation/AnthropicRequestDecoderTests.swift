import Testing

@testable import WharfCore

@Suite("Anthropic request decoder")
struct AnthropicRequestDecoderTests {
    /// Decodes `json`.
    static func decode(_ json: String) throws(TranslationError) -> IRRequest {
        try AnthropicRequestDecoder.decode(Array(json.utf8))
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

    @Test("System blocks keep their cache_control and ttl; usage is always wanted in streams")
    func systemBlocks() throws {
        let request = try Self.decode(
            #"{"model":"m","system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral","ttl":"1h"}},"#
                + #"{"type":"text","text":"B"}],"messages":[{"role":"user","content":"Hi"}]}"#)
        #expect(request.system == [.text("A", cache: IRCacheControl(ttl: "1h")), .text("B")])
        #expect(request.wantsUsageInStream)
        #expect(request.maxOutputTokens == nil)
    }

    @Test("Tool use input becomes compact JSON text and tool results come first as a tool message")
    func toolUseAndResults() throws {
        let request = try Self.decode(
            #"{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","#
                + #""name":"f","input":{ "a" : [1, 2] }}]},{"role":"user","content":[{"type":"text","text":"and"},"#
                + #"{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"bad"}]}]}]}"#
        )
        #expect(request.messages[0].parts == [.toolCall(id: "t1", name: "f", argumentsJSON: #"{"a":[1,2]}"#)])
        #expect(
            request.messages[1]
                == IRMessage(
                    role: .tool, parts: [.toolResult(callID: "t1", name: nil, content: [.text("bad")], isError: true)]))
        #expect(request.messages[2] == IRMessage(role: .user, parts: [.text("and")]))
    }

    @Test("Thinking blocks keep an Anthropic signature; redacted thinking keeps its data")
    func thinking() throws {
        let request = try Self.decode(
            #"{"model":"m","messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","#
                + #""signature":"sig"},{"type":"redacted_thinking","data":"d"},{"type":"thinking","thinking":"u","#
                + #""signature":""}]}]}"#)
        #expect(
            request.messages[0].parts == [
                .reasoning("t", signature: IRSignature(dialect: .anthropicMessages, value: "sig")),
                .redactedReasoning(data: "d"), .reasoning("u", signature: nil),
            ])
    }

    @Test("Tool choice, parallel use, thinking and effort are read")
    func choicesAndThinking() throws {
        let base = #"{"model":"m","messages":[{"role":"user","content":"x"}],"#
        let any = try Self.decode(base + #""tool_choice":{"type":"any","disable_parallel_tool_use":true}}"#)
        #expect(any.toolChoice == .required && any.parallelToolCalls == false)
        #expect(try Self.decode(base + #""tool_choice":{"type":"none"}}"#).toolChoice == IRToolChoice.none)
        #expect(try Self.decode(base + #""tool_choice":{"type":"tool","name":"f"}}"#).toolChoice == .named("f"))
        let budget = base + #""thinking":{"type":"enabled","budget_tokens":2048}}"#
        #expect(try Self.decode(budget).reasoning == .budget(2048))
        #expect(try Self.decode(base + #""thinking":{"type":"adaptive"}}"#).reasoning == .adaptive)
        let effort = base + #""thinking":{"type":"adaptive"},"output_config":{"effort":"high"}}"#
        #expect(try Self.decode(effort).reasoning == .effort("high"))
        #expect(try Self.decode(base + #""thinking":{"type":"disabled"}}"#).reasoning == .disabled)
        let stops = try Self.decode(base + #""stop_sequences":["a","b"],"temperature":0.5}"#)
        #expect(stops.stopSequences == ["a", "b"] && stops.temperature == JSONNumber("0.5"))
    }

    @Test("Server tools and unknown blocks are dropped with warnings; a mid-conversation system message is kept")
    func droppedAndKept() throws {
        let request = try Self.decode(
            #"{"model":"m","messages":[{"role":"user","content":"x"},{"role":"system","content":"Later"},"#
                + #"{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}},"#
                + #"{"type":"text","text":"ok"}]}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}"#)
        #expect(request.tools.isEmpty)
        #expect(request.warnings == ["dropped_block:server_tool_use", "dropped_tool:web_search_20250305"])
        #expect(request.messages[1] == IRMessage(role: .system, parts: [.text("Later")]))
        #expect(request.messages[2].parts == [.text("ok")])
    }

    @Test("Bad bodies are refused with a message naming the field")
    func refusals() {
        #expect(Self.error(#"{"messages":[]}"#)?.param == "model")
        #expect(Self.error(#"{"model":"m","messages":"hi"}"#)?.param == "messages")
        #expect(Self.error(#"{"model":"m","messages":[]}"#)?.param == "messages")
        #expect(Self.error(#"{"model":"m","messages":[{"role":"bot","content":"x"}]}"#)?.param == "messages[0].role")
        #expect(
            Self.error(
                #"{"model":"m","messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"f"}]}]}"#)?
                .param == "messages[0].content[0].type")
        #expect(
            Self.error(#"{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}}"#)?
                .param == "thinking.budget_tokens")
        #expect(
            Self.error(#"{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#)?.param
                == "max_tokens")
        #expect(
            Self.error(
                #"{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}]}"#)?
                .param == "messages[0].content[0].source.type")
    }
}
