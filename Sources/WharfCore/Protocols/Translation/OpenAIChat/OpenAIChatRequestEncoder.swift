/// Writes an ``IRRequest`` as an OpenAI Chat Completions request body, for OpenAI and OpenAI-compatible channels.
///
/// Choices made here (warning codes from ``translate(_:upstreamModel:)``):
/// - System parts become one leading `system` message (texts joined by a blank line); later `.system` messages stay
///   in place.
/// - Each tool result becomes its own `tool` message (text parts joined by a newline; images in results are dropped
///   with a warning), placed before the rest of its message.
/// - An assistant turn keeps its text (joined) next to its `tool_calls`; `content` is `null` when there is no text.
///   Reasoning parts are dropped (OpenAI takes no reasoning history).
/// - `max_tokens` for broad OpenAI-compatible support, but `max_completion_tokens` for OpenAI reasoning models
///   (`o1`, `o3`, `o4`, `gpt-5` prefixes), which refuse `max_tokens`.
/// - Reasoning: an effort is passed as `reasoning_effort`; a budget becomes `low` (≤ 1024), `medium` (≤ 4096) or
///   `high`; adaptive becomes `medium`; disabled sends nothing.
/// - `top_k` (not an OpenAI parameter) and `cache_control` are dropped; stop sequences beyond 4 are dropped.
/// - A streamed request always asks upstream for usage: `"stream_options":{"include_usage":true}`.
public enum OpenAIChatRequestEncoder {
    /// A streamed request always asks upstream for usage: "stream_options":{"include_usage":true}.
    public static func encode(_ request: IRRequest, upstreamModel: String) -> [UInt8] {
        translate(request, upstreamModel: upstreamModel).body
    }

    /// The request body and the warning codes of what was dropped or changed.
    public static func translate(_ request: IRRequest, upstreamModel: String) -> (body: [UInt8], warnings: [String]) {
        var warnings: [String] = []
        var body: TranslationJSON.Members = [("model", .string(upstreamModel))]
        var messages: [JSONValue] = []
        let system = TranslationJSON.joinedText(request.system, separator: "\n\n")
        if !system.isEmpty {
            messages.append(.object([("role", .string("system")), ("content", .string(system))]))
        }
        for message in request.messages {
            messages += Self.messages(message, warnings: &warnings)
        }
        body.append(("messages", .array(messages)))
        if !request.tools.isEmpty {
            body.append(("tools", .array(request.tools.map(tool))))
            if let choice = request.toolChoice { body.append(("tool_choice", toolChoice(choice))) }
            if let parallel = request.parallelToolCalls { body.append(("parallel_tool_calls", .bool(parallel))) }
        }
        if let maxTokens = request.maxOutputTokens {
            let key = isReasoningModel(upstreamModel) ? "max_completion_tokens" : "max_tokens"
            body.append((key, .int(maxTokens)))
        }
        if let temperature = request.temperature { body.append(("temperature", .number(temperature.text))) }
        if let topP = request.topP { body.append(("top_p", .number(topP.text))) }
        if request.topK != nil { warnings.append("dropped:top_k") }
        if !request.stopSequences.isEmpty {
            if request.stopSequences.count > 4 { warnings.append("dropped:stop_sequences_beyond_4") }
            body.append(("stop", .array(request.stopSequences.prefix(4).map { .string($0) })))
        }
        if let format = responseFormat(request.responseFormat) { body.append(("response_format", format)) }
        if let effort = reasoningEffort(request.reasoning) { body.append(("reasoning_effort", .string(effort))) }
        if request.stream {
            body.append(("stream", .bool(true)))
            body.append(("stream_options", .object([("include_usage", .bool(true))])))
        }
        return (JSONValue.object(body).encoded, warnings)
    }

    /// The OpenAI messages for one IR message: tool results first (one `tool` message each), then the rest.
    static func messages(_ message: IRMessage, warnings: inout [String]) -> [JSONValue] {
        var out: [JSONValue] = []
        var rest: [IRPart] = []
        for part in message.parts {
            guard case .toolResult(let callID, _, let content, _) = part else {
                rest.append(part)
                continue
            }
            if content.contains(where: { if case .text = $0 { false } else { true } }) {
                warnings.append("dropped:tool_result_media")
            }
            out.append(
                .object([
                    ("role", .string("tool")), ("tool_call_id", .string(callID)),
                    ("content", .string(TranslationJSON.joinedText(content, separator: "\n"))),
                ]))
        }
        switch message.role {
        case .system:
            let text = TranslationJSON.joinedText(rest, separator: "\n\n")
            if !text.isEmpty { out.append(.object([("role", .string("system")), ("content", .string(text))])) }
        case .user, .tool:
            if let content = userContent(rest, warnings: &warnings) {
                out.append(.object([("role", .string("user")), ("content", content)]))
            }
        case .assistant:
            if let assistant = assistantMessage(rest) { out.append(assistant) }
        }
        return out
    }

    /// A user message's `content`: a string for one text, else an array of parts; nil when nothing is left.
    static func userContent(_ parts: [IRPart], warnings: inout [String]) -> JSONValue? {
        var elements: [JSONValue] = []
        var texts: [String] = []
        var plain = true
        for part in parts {
            switch part {
            case .text(let text, _):
                guard !text.isEmpty else { continue }
                texts.append(text)
                elements.append(.object([("type", .string("text")), ("text", .string(text))]))
            case .image(let media, _):
                plain = false
                elements.append(
                    .object([("type", .string("image_url")), ("image_url", .object([("url", .string(url(media)))]))]))
            case .document(.base64(let mediaType, let data), let title, _):
                plain = false
                var file: TranslationJSON.Members = []
                if let title { file.append(("filename", .string(title))) }
                file.append(("file_data", .string("data:\(mediaType);base64,\(data)")))
                elements.append(.object([("type", .string("file")), ("file", .object(file))]))
            case .document(.url, _, _):
                warnings.append("dropped:document_url")
            case .toolCall, .toolResult, .reasoning, .redactedReasoning:
                continue
            }
        }
        guard !elements.isEmpty else { return nil }
        if plain, texts.count == 1 { return .string(texts[0]) }
        return .array(elements)
    }

    /// An assistant message: text joined, `tool_calls` in order, reasoning dropped; nil when empty.
    static func assistantMessage(_ parts: [IRPart]) -> JSONValue? {
        let text = TranslationJSON.joinedText(parts, separator: "")
        var calls: [JSONValue] = []
        for case .toolCall(let id, let name, let argumentsJSON, _) in parts {
            calls.append(
                .object([
                    ("id", .string(id)), ("type", .string("function")),
                    ("function", .object([("name", .string(name)), ("arguments", .string(argumentsJSON))])),
                ]))
        }
        guard !text.isEmpty || !calls.isEmpty else { return nil }
        var members: TranslationJSON.Members = [
            ("role", .string("assistant")), ("content", text.isEmpty ? .null : .string(text)),
        ]
        if !calls.isEmpty { members.append(("tool_calls", .array(calls))) }
        return .object(members)
    }

    /// A media source as a URL: the URL itself, or a data URL for inline bytes.
    static func url(_ media: IRMedia) -> String {
        switch media {
        case .url(let url): url
        case .base64(let mediaType, let data): "data:\(mediaType);base64,\(data)"
        }
    }

    /// A function tool.
    static func tool(_ tool: IRTool) -> JSONValue {
        var function: TranslationJSON.Members = [("name", .string(tool.name))]
        if let description = tool.description { function.append(("description", .string(description))) }
        function.append(("parameters", tool.inputSchema))
        return .object([("type", .string("function")), ("function", .object(function))])
    }

    /// `tool_choice`.
    static func toolChoice(_ choice: IRToolChoice) -> JSONValue {
        switch choice {
        case .auto: .string("auto")
        case .none: .string("none")
        case .required: .string("required")
        case .named(let name):
            .object([("type", .string("function")), ("function", .object([("name", .string(name))]))])
        }
    }

    /// `response_format`; nil for plain text.
    static func responseFormat(_ format: IRResponseFormat?) -> JSONValue? {
        switch format {
        case nil, .text: return nil
        case .jsonObject: return .object([("type", .string("json_object"))])
        case .jsonSchema(let name, let schema, let strict):
            var spec: TranslationJSON.Members = [("name", .string(name)), ("schema", schema)]
            if let strict { spec.append(("strict", .bool(strict))) }
            return .object([("type", .string("json_schema")), ("json_schema", .object(spec))])
        }
    }

    /// `reasoning_effort` for a reasoning request.
    public static func reasoningEffort(_ reasoning: IRReasoning?) -> String? {
        switch reasoning {
        case nil, .disabled: nil
        case .effort(let effort): effort
        case .adaptive: "medium"
        case .budget(let budget): budget <= 1024 ? "low" : budget <= 4096 ? "medium" : "high"
        }
    }

    /// Whether `model` is an OpenAI reasoning model that refuses `max_tokens`.
    static func isReasoningModel(_ model: String) -> Bool {
        let lower = model.lowercased()
        return ["o1", "o3", "o4", "gpt-5"].contains { lower.hasPrefix($0) }
    }
}
