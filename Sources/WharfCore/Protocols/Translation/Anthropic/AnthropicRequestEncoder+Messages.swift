extension AnthropicRequestEncoder {
    /// The `messages` array: `.system` messages left out (they go to `system`), tool results in user messages
    /// first, same-role neighbours merged, empty blocks and messages dropped.
    static func messages(_ messages: [IRMessage]) -> [JSONValue] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        for message in messages {
            let role: String
            switch message.role {
            case .system: continue
            case .user, .tool: role = "user"
            case .assistant: role = "assistant"
            }
            let blocks = message.parts.compactMap { block($0, assistant: message.role == .assistant) }
            guard !blocks.isEmpty else { continue }
            if let last = turns.indices.last, turns[last].role == role {
                turns[last].blocks += blocks
            } else {
                turns.append((role, blocks))
            }
        }
        return turns.map { turn in
            var blocks = turn.blocks
            if turn.role == "user" {
                blocks = blocks.filter(isToolResult) + blocks.filter { !isToolResult($0) }
            }
            return .object([("role", .string(turn.role)), ("content", .array(blocks))])
        }
    }

    /// Whether a block is a `tool_result`.
    static func isToolResult(_ block: JSONValue) -> Bool { block["type"]?.string == "tool_result" }

    /// One content block, or nil when it must not be sent.
    static func block(_ part: IRPart, assistant: Bool) -> JSONValue? {
        switch part {
        case .text(let text, let cache):
            return TranslationJSON.hasVisibleText(text) ? textBlock(text, cache: cache) : nil
        case .image(let media, let cache):
            return mediaBlock("image", media, title: nil, cache: cache)
        case .document(let media, let title, let cache):
            return mediaBlock("document", media, title: title, cache: cache)
        case .toolCall(let id, let name, let argumentsJSON, _):
            return .object([
                ("type", .string("tool_use")), ("id", .string(toolID(id))), ("name", .string(name)),
                ("input", TranslationJSON.argumentsObject(argumentsJSON)),
            ])
        case .toolResult(let callID, _, let content, let isError):
            var members: TranslationJSON.Members = [
                ("type", .string("tool_result")), ("tool_use_id", .string(toolID(callID))),
            ]
            let inner = content.compactMap { block($0, assistant: false) }
            if !inner.isEmpty { members.append(("content", .array(inner))) }
            if isError { members.append(("is_error", .bool(true))) }
            return .object(members)
        case .reasoning(let text, let signature):
            guard assistant, let signature, signature.dialect == .anthropicMessages else { return nil }
            return .object([
                ("type", .string("thinking")), ("thinking", .string(text)), ("signature", .string(signature.value)),
            ])
        case .redactedReasoning(let data):
            return assistant ? .object([("type", .string("redacted_thinking")), ("data", .string(data))]) : nil
        }
    }

    /// An image or document block with a base64 or URL source.
    static func mediaBlock(_ type: String, _ media: IRMedia, title: String?, cache: IRCacheControl?) -> JSONValue {
        let source: JSONValue
        switch media {
        case .base64(let mediaType, let data):
            source = .object([
                ("type", .string("base64")), ("media_type", .string(mediaType)), ("data", .string(data)),
            ])
        case .url(let url):
            source = .object([("type", .string("url")), ("url", .string(url))])
        }
        var members: TranslationJSON.Members = [("type", .string(type)), ("source", source)]
        if let title { members.append(("title", .string(title))) }
        if let cache { members.append(("cache_control", TranslationJSON.cacheControlValue(cache))) }
        return .object(members)
    }

    /// `id` with every character outside `[a-zA-Z0-9_-]` replaced by `_` (Anthropic's rule for tool-use ids).
    public static func toolID(_ id: String) -> String {
        let cleaned = String(
            String.UnicodeScalarView(
                id.unicodeScalars.map { scalar in
                    switch scalar {
                    case "a"..."z", "A"..."Z", "0"..."9", "_", "-": scalar
                    default: "_"
                    }
                }))
        return cleaned.isEmpty ? "_" : cleaned
    }
}
