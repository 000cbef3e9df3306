/// Writes an ``IRResponse`` as a non-streamed Anthropic Messages answer. Empty text blocks are never written;
/// reasoning becomes a `thinking` block whose `signature` is kept only when Anthropic made it (another provider's
/// signature would fail validation when the client replays it, so it is sent as `""`, which the request decoder
/// reads as unsigned); tool calls become `tool_use` blocks with an `input` object (`{}` when the arguments are not a
/// JSON object) and ids rewritten to Anthropic's alphabet. Usage by ``ClientUsage/anthropic(_:)`` (zeros when
/// unknown).
public enum AnthropicResponseEncoder {
    /// The answer body.
    public static func encode(_ response: IRResponse) -> [UInt8] {
        var blocks: [JSONValue] = []
        for part in response.content {
            switch part {
            case .text(let text, _):
                guard !text.isEmpty else { continue }
                blocks.append(.object([("type", .string("text")), ("text", .string(text))]))
            case .reasoning(let text, let signature):
                guard !text.isEmpty || signature?.dialect == .anthropicMessages else { continue }
                let kept = signature?.dialect == .anthropicMessages ? signature?.value ?? "" : ""
                blocks.append(
                    .object([("type", .string("thinking")), ("thinking", .string(text)), ("signature", .string(kept))]))
            case .redactedReasoning(let data):
                blocks.append(.object([("type", .string("redacted_thinking")), ("data", .string(data))]))
            case .toolCall(let id, let name, let argumentsJSON, _):
                blocks.append(
                    .object([
                        ("type", .string("tool_use")), ("id", .string(AnthropicRequestEncoder.toolID(id))),
                        ("name", .string(name)), ("input", TranslationJSON.argumentsObject(argumentsJSON)),
                    ]))
            case .image, .document, .toolResult: continue
            }
        }
        let stopSequence: JSONValue =
            if response.finish == .stopSequence, let s = response.stopSequence { .string(s) } else { .null }
        return JSONValue.object([
            ("id", .string(response.id)), ("type", .string("message")), ("role", .string("assistant")),
            ("model", .string(response.model)), ("content", .array(blocks)),
            ("stop_reason", .string(FinishReasonMap.anthropic(response.finish))), ("stop_sequence", stopSequence),
            ("usage", ClientUsage.anthropic(response.usage ?? .zero)),
        ]).encoded
    }
}
