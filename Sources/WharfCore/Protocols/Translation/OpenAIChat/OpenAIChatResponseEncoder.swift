/// Writes an ``IRResponse`` as a non-streamed OpenAI Chat Completions answer: text blocks concatenated into
/// `content` (`null` when there is none), tool calls in block order, reasoning text as the `reasoning_content`
/// extension, usage re-encoded by ``ClientUsage/openAI(_:)``. Signatures and redacted reasoning are not shown.
public enum OpenAIChatResponseEncoder {
    /// The answer body; `created` is the Unix time to show.
    public static func encode(_ response: IRResponse, created: Int64) -> [UInt8] {
        var text = ""
        var reasoning = ""
        var calls: [JSONValue] = []
        for part in response.content {
            switch part {
            case .text(let s, _): text += s
            case .reasoning(let s, _): reasoning += s
            case .toolCall(let id, let name, let argumentsJSON, _):
                calls.append(
                    .object([
                        ("id", .string(id)), ("type", .string("function")),
                        ("function", .object([("name", .string(name)), ("arguments", .string(argumentsJSON))])),
                    ]))
            case .image, .document, .toolResult, .redactedReasoning: continue
            }
        }
        var message: TranslationJSON.Members = [
            ("role", .string("assistant")), ("content", text.isEmpty ? .null : .string(text)),
        ]
        if !calls.isEmpty { message.append(("tool_calls", .array(calls))) }
        if !reasoning.isEmpty { message.append(("reasoning_content", .string(reasoning))) }
        var body: TranslationJSON.Members = [
            ("id", .string(response.id)), ("object", .string("chat.completion")), ("created", .int(created)),
            ("model", .string(response.model)),
            (
                "choices",
                .array([
                    .object([
                        ("index", .int(0)), ("message", .object(message)),
                        ("finish_reason", .string(FinishReasonMap.openAI(response.finish))),
                    ])
                ])
            ),
        ]
        if let usage = response.usage { body.append(("usage", ClientUsage.openAI(usage))) }
        return JSONValue.object(body).encoded
    }
}
