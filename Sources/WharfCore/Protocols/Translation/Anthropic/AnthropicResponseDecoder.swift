/// Reads a non-streamed Anthropic Messages answer into an ``IRResponse``: text, thinking (with its signature),
/// redacted thinking and tool-use blocks in order; other block types (server tools, their results) are left out.
/// Usage through ``UsageNormalizer``.
public enum AnthropicResponseDecoder {
    /// Decodes `body`, or throws when it is not a message.
    public static func decode(_ body: [UInt8]) throws(TranslationError) -> IRResponse {
        typealias J = TranslationJSON
        let root = try J.body(body, what: "The upstream answer")
        guard let blocks = root["content"]?.array else {
            throw TranslationError("The upstream answer has no content.", param: "content")
        }
        var content: [IRPart] = []
        for (i, block) in blocks.enumerated() {
            let path = "content[\(i)]"
            switch block["type"]?.string {
            case "text":
                if let text = block["text"]?.nonEmptyString { content.append(.text(text)) }
            case "thinking":
                let signature = block["signature"]?.nonEmptyString.map {
                    IRSignature(dialect: .anthropicMessages, value: $0)
                }
                content.append(.reasoning(block["thinking"]?.string ?? "", signature: signature))
            case "redacted_thinking":
                content.append(.redactedReasoning(data: try J.requiredString(block, "data", at: path + ".data")))
            case "tool_use":
                content.append(
                    .toolCall(
                        id: try J.requiredString(block, "id", at: path + ".id"),
                        name: try J.requiredString(block, "name", at: path + ".name"),
                        argumentsJSON: (J.present(block, "input") ?? .object([])).encodedString))
            default:
                continue
            }
        }
        let stopSequence = root["stop_sequence"]?.string
        return IRResponse(
            id: root["id"]?.string ?? "", model: root["model"]?.string ?? "", content: content,
            finish: root["stop_reason"]?.string.map(FinishReasonMap.fromAnthropic) ?? .endTurn,
            stopSequence: stopSequence, usage: UsageNormalizer.usage(inAnswer: root, dialect: .anthropicMessages))
    }
}
