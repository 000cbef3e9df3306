/// Reads a non-streamed OpenAI Chat Completions answer into an ``IRResponse``: `reasoning_content` (or `reasoning`)
/// first, then the text (a `refusal` becomes the text and the finish ``IRFinishReason/refusal``), then the tool
/// calls. Usage through ``UsageNormalizer``.
public enum OpenAIChatResponseDecoder {
    /// Decodes `body`, or throws when it is not a chat completion.
    public static func decode(_ body: [UInt8]) throws(TranslationError) -> IRResponse {
        typealias J = TranslationJSON
        let root = try J.body(body, what: "The upstream answer")
        guard let choice = root["choices"]?.array?.first, choice.isObject else {
            throw TranslationError("The upstream answer has no choices.", param: "choices")
        }
        let message = J.present(choice, "message") ?? .object([])
        var content: [IRPart] = []
        if let reasoning = (message["reasoning_content"] ?? message["reasoning"])?.nonEmptyString {
            content.append(.reasoning(reasoning, signature: nil))
        }
        if let text = message["content"]?.nonEmptyString { content.append(.text(text)) }
        let refusal = message["refusal"]?.nonEmptyString
        if let refusal { content.append(.text(refusal)) }
        for (k, call) in (message["tool_calls"]?.array ?? []).enumerated() {
            let path = "choices[0].message.tool_calls[\(k)]"
            guard let function = J.present(call, "function") else {
                throw TranslationError("A tool call has no function.", param: path)
            }
            let arguments = function["arguments"]?.string ?? "{}"
            content.append(
                .toolCall(
                    id: call["id"]?.string ?? "call_\(k)", name: try J.requiredString(function, "name", at: path),
                    argumentsJSON: arguments.isEmpty ? "{}" : arguments))
        }
        var finish = choice["finish_reason"]?.string.map(FinishReasonMap.fromOpenAI) ?? .endTurn
        if refusal != nil { finish = .refusal }
        // Some servers end a turn of tool calls with "stop": the client must still see a tool use.
        if finish == .endTurn, content.contains(where: { if case .toolCall = $0 { true } else { false } }) {
            finish = .toolUse
        }
        return IRResponse(
            id: root["id"]?.string ?? "", model: root["model"]?.string ?? "", content: content, finish: finish,
            usage: UsageNormalizer.usage(inAnswer: root, dialect: .openAIChat))
    }
}
