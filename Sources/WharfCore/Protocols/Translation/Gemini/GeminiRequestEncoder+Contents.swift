extension GeminiRequestEncoder {
    /// The `contents` array.
    static func contents(_ messages: [IRMessage], warnings: inout [String]) -> [JSONValue] {
        var names: [String: String] = [:]
        for message in messages {
            for case .toolCall(let id, let name, _, _) in message.parts { names[id] = name }
        }
        var turns: [(role: String, parts: [JSONValue])] = []
        for message in messages {
            let role: String
            switch message.role {
            case .system: continue
            case .user, .tool: role = "user"
            case .assistant: role = "model"
            }
            var parts: [JSONValue] = []
            var signedFirstCall = false
            for part in message.parts {
                if case .toolCall = part, !signedFirstCall {
                    signedFirstCall = true
                    parts += self.part(part, names: names, bypass: true, warnings: &warnings)
                } else {
                    parts += self.part(part, names: names, bypass: false, warnings: &warnings)
                }
            }
            guard !parts.isEmpty else { continue }
            if let last = turns.indices.last, turns[last].role == role {
                turns[last].parts += parts
            } else {
                turns.append((role, parts))
            }
        }
        return turns.map { .object([("role", .string($0.role)), ("parts", .array($0.parts))]) }
    }

    /// The Gemini parts for one IR part (none when it is not sent). `bypass`: this is the first call of a model
    /// turn, which needs a signature.
    static func part(_ part: IRPart, names: [String: String], bypass: Bool, warnings: inout [String]) -> [JSONValue] {
        switch part {
        case .text(let text, _):
            return text.isEmpty ? [] : [.object([("text", .string(text))])]
        case .image(let media, _):
            return [mediaPart(media, defaultType: "image/jpeg")]
        case .document(let media, _, _):
            return [mediaPart(media, defaultType: "application/pdf")]
        case .toolCall(_, let name, let argumentsJSON, let signature):
            var members: TranslationJSON.Members = [
                (
                    "functionCall",
                    .object([("name", .string(name)), ("args", TranslationJSON.argumentsObject(argumentsJSON))])
                )
            ]
            if let signature, signature.dialect == .gemini {
                members.append(("thoughtSignature", .string(signature.value)))
            } else if bypass {
                members.append(("thoughtSignature", .string(bypassSignature)))
            }
            return [.object(members)]
        case .toolResult(let callID, let name, let content, _):
            if content.contains(where: { if case .text = $0 { false } else { true } }) {
                warnings.append("dropped:tool_result_media")
            }
            let response = responseObject(TranslationJSON.joinedText(content, separator: "\n"))
            return [
                .object([
                    (
                        "functionResponse",
                        .object([("name", .string(names[callID] ?? name ?? callID)), ("response", response)])
                    )
                ])
            ]
        case .reasoning(let text, let signature):
            guard let signature, signature.dialect == .gemini else { return [] }
            var members: TranslationJSON.Members = []
            if !text.isEmpty { members.append(("thought", .bool(true))) }
            members.append(("text", .string(text)))
            members.append(("thoughtSignature", .string(signature.value)))
            return [.object(members)]
        case .redactedReasoning:
            return []
        }
    }

    /// A `functionResponse.response` object for a result's text.
    static func responseObject(_ text: String) -> JSONValue {
        switch try? JSONValue.parse(Array(text.utf8)) {
        case .some(let value) where value.isObject: value
        case .some(.array(let elements)): .object([("result", .array(elements))])
        default: .object([("content", .string(text))])
        }
    }

    /// `inlineData` for bytes, `fileData` for a URL.
    static func mediaPart(_ media: IRMedia, defaultType: String) -> JSONValue {
        switch media {
        case .base64(let mediaType, let data):
            .object([("inlineData", .object([("mimeType", .string(mediaType)), ("data", .string(data))]))])
        case .url(let url):
            .object([
                (
                    "fileData",
                    .object([
                        ("mimeType", .string(mimeType(url: url, default: defaultType))), ("fileUri", .string(url)),
                    ])
                )
            ])
        }
    }

    /// A MIME type guessed from a URL's extension.
    public static func mimeType(url: String, default fallback: String) -> String {
        var path = Substring(url)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return fallback }
        switch path[path.index(after: dot)...].lowercased() {
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "heic": return "image/heic"
        case "heif": return "image/heif"
        case "pdf": return "application/pdf"
        default: return fallback
        }
    }
}
