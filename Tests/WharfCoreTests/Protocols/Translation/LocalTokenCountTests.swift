import Testing

@testable import WharfCore

@Suite("Local token count")
struct LocalTokenCountTests {
    @Test("System, messages, tools and images all count")
    func countsEverything() throws {
        let bare = IRRequest(model: "m", messages: [IRMessage(role: .user, parts: [.text("12345678")])])
        #expect(LocalTokenCount.inputTokens(bare) == 2 + 4)
        var full = bare
        full.system = [.text("1234")]
        full.tools = [IRTool(name: "f", description: "abc", inputSchema: .object([]))]
        full.messages.append(IRMessage(role: .user, parts: [.image(.url("https://x.test/a.png"))]))
        // bytes: 8 + 4 + 1 + 3 + 2 ("{}") = 18 → 5 tokens; overhead 2×4 + 4 + 8; one image 1600.
        #expect(LocalTokenCount.inputTokens(full) == 5 + 8 + 4 + 8 + 1600)
    }

    @Test("A non-empty request never counts zero")
    func neverZero() {
        let request = IRRequest(model: "m", messages: [IRMessage(role: .user, parts: [.text("")])])
        #expect(LocalTokenCount.inputTokens(request) > 0)
    }

    @Test("Tool calls and results count their text")
    func toolTraffic() {
        let request = IRRequest(
            model: "m",
            messages: [
                IRMessage(role: .assistant, parts: [.toolCall(id: "c1", name: "get", argumentsJSON: #"{"a":1}"#)]),
                IRMessage(
                    role: .tool,
                    parts: [.toolResult(callID: "c1", name: nil, content: [.text("result")], isError: false)]),
            ])
        // bytes: 2 + 3 + 7 + 2 + 6 = 20 → 5 tokens; overhead 2×4.
        #expect(LocalTokenCount.inputTokens(request) == 5 + 8)
    }
}
