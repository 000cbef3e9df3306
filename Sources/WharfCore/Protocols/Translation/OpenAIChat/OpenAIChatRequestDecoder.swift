/// Reads an OpenAI Chat Completions request body (`/v1/chat/completions`) into an ``IRRequest``.
///
/// Leading `system`/`developer` messages become ``IRRequest/system``; later ones stay in place as `.system`
/// messages. Each `tool` message becomes a `.tool` message with one tool result. Extensions read: `cache_control` on
/// content parts, tools and messages (LiteLLM/OpenRouter style), assistant `reasoning_content`, `top_k`, OpenRouter
/// `reasoning: {effort | max_tokens}`. Members that have no equivalent elsewhere (`seed`, the penalties, `logit_bias`,
/// `logprobs`) are dropped with a warning code; unknown members are ignored; `n` above 1 is refused.
public enum OpenAIChatRequestDecoder {
    /// Decodes `body`, or throws a ``TranslationError`` naming the field at fault.
    public static func decode(_ body: [UInt8]) throws(TranslationError) -> IRRequest {
        typealias J = TranslationJSON
        let root = try J.body(body)
        guard let model = try J.string(root, "model", at: "model"), !model.isEmpty else {
            throw TranslationError("You must provide a model parameter.", param: "model")
        }
        guard let rawMessages = root["messages"], !rawMessages.isNull else {
            throw TranslationError("'messages' is required.", param: "messages")
        }
        guard let messageValues = rawMessages.array else {
            throw TranslationError("'messages' must be an array.", param: "messages")
        }
        guard !messageValues.isEmpty else {
            throw TranslationError("'messages' must contain at least one message.", param: "messages")
        }
        var request = IRRequest(model: model)
        for (i, value) in messageValues.enumerated() {
            let message = try Self.message(value, at: "messages[\(i)]")
            if message.role == .system, request.messages.isEmpty {
                request.system += message.parts
            } else {
                request.messages.append(message)
            }
        }
        if let n = try J.integer(root, "n", at: "n"), n > 1 {
            throw TranslationError("'n' greater than 1 is not supported for this model.", param: "n")
        }
        request.tools = try tools(root)
        request.toolChoice = try toolChoice(root)
        request.parallelToolCalls = try J.bool(root, "parallel_tool_calls", at: "parallel_tool_calls")
        request.maxOutputTokens = try J.integer(root, "max_completion_tokens", at: "max_completion_tokens")
        if request.maxOutputTokens == nil {
            request.maxOutputTokens = try J.integer(root, "max_tokens", at: "max_tokens")
        }
        request.temperature = try J.number(root, "temperature", at: "temperature")
        request.topP = try J.number(root, "top_p", at: "top_p")
        request.topK = try J.number(root, "top_k", at: "top_k")
        request.stopSequences = try J.stopSequences(root, "stop")
        request.responseFormat = try responseFormat(root)
        request.reasoning = try reasoning(root)
        request.stream = try J.bool(root, "stream", at: "stream") ?? false
        if request.stream, let options = try J.object(root, "stream_options", at: "stream_options") {
            request.wantsUsageInStream =
                try J.bool(options, "include_usage", at: "stream_options.include_usage") ?? false
        }
        for key in ["seed", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs"]
        where J.present(root, key) != nil {
            request.warnings.append("dropped:\(key)")
        }
        return request
    }

    /// One message. `developer` reads as `system`.
    static func message(_ value: JSONValue, at path: String) throws(TranslationError) -> IRMessage {
        typealias J = TranslationJSON
        guard value.isObject else { throw TranslationError("Each message must be an object.", param: path) }
        let role = try J.requiredString(value, "role", at: path + ".role")
        let messageCache = try J.cacheControl(value, at: path + ".cache_control")
        var parts: [IRPart]
        let irRole: IRRole
        switch role {
        case "system", "developer":
            irRole = .system
            parts = try content(value, at: path, allowMedia: false)
        case "user":
            irRole = .user
            parts = try content(value, at: path, allowMedia: true)
        case "assistant":
            irRole = .assistant
            parts = try assistantParts(value, at: path)
        case "tool":
            let callID = try J.requiredString(value, "tool_call_id", at: path + ".tool_call_id")
            let result = try content(value, at: path, allowMedia: true)
            return IRMessage(
                role: .tool, parts: [.toolResult(callID: callID, name: nil, content: result, isError: false)])
        default:
            throw TranslationError(
                "Unknown message role; expected system, developer, user, assistant or tool.", param: path + ".role")
        }
        if let messageCache, let last = parts.indices.last, case .text(let s, nil) = parts[last] {
            parts[last] = .text(s, cache: messageCache)
        }
        return IRMessage(role: irRole, parts: parts)
    }

    /// `content` as a string or an array of parts (`text`, `image_url`, `file`, `refusal`).
    static func content(_ message: JSONValue, at path: String, allowMedia: Bool) throws(TranslationError)
        -> [IRPart]
    {
        typealias J = TranslationJSON
        guard let content = J.present(message, "content") else { return [] }
        if let s = content.string { return [.text(s)] }
        guard let elements = content.array else {
            throw TranslationError("'content' must be a string or an array of parts.", param: path + ".content")
        }
        var parts: [IRPart] = []
        for (j, element) in elements.enumerated() {
            let partPath = "\(path).content[\(j)]"
            guard element.isObject else { throw TranslationError("Each part must be an object.", param: partPath) }
            let type = try J.requiredString(element, "type", at: partPath + ".type")
            let cache = try J.cacheControl(element, at: partPath + ".cache_control")
            switch type {
            case "text":
                parts.append(.text(try J.requiredString(element, "text", at: partPath + ".text"), cache: cache))
            case "refusal":
                parts.append(.text(try J.requiredString(element, "refusal", at: partPath + ".refusal")))
            case "image_url" where allowMedia:
                let imagePath = partPath + ".image_url"
                let url: String
                if let s = element["image_url"]?.string {
                    url = s
                } else if let object = try J.object(element, "image_url", at: imagePath) {
                    url = try J.requiredString(object, "url", at: imagePath + ".url")
                } else {
                    throw TranslationError("'image_url' is required.", param: imagePath)
                }
                parts.append(.image(try J.media(url: url, at: imagePath + ".url"), cache: cache))
            case "file" where allowMedia:
                let filePath = partPath + ".file"
                guard let file = try J.object(element, "file", at: filePath),
                    let data = try J.string(file, "file_data", at: filePath + ".file_data"),
                    let media = try J.dataURL(data, at: filePath + ".file_data")
                else {
                    throw TranslationError("A file part needs 'file_data' as a base64 data URL.", param: filePath)
                }
                let title = try J.string(file, "filename", at: filePath + ".filename")
                parts.append(.document(media, title: title, cache: cache))
            default:
                throw TranslationError("Unsupported content part type \(J.code(type)) here.", param: partPath + ".type")
            }
        }
        return parts
    }

    /// An assistant turn: `reasoning_content` first, then the text, then `tool_calls` in order.
    static func assistantParts(_ message: JSONValue, at path: String) throws(TranslationError) -> [IRPart] {
        typealias J = TranslationJSON
        var parts: [IRPart] = []
        if let reasoning = try J.string(message, "reasoning_content", at: path + ".reasoning_content"),
            !reasoning.isEmpty
        {
            parts.append(.reasoning(reasoning, signature: nil))
        }
        parts += try content(message, at: path, allowMedia: false)
        for (k, call) in (try J.array(message, "tool_calls", at: path + ".tool_calls") ?? []).enumerated() {
            let callPath = "\(path).tool_calls[\(k)]"
            guard call.isObject else { throw TranslationError("Each tool call must be an object.", param: callPath) }
            let id = try J.requiredString(call, "id", at: callPath + ".id")
            guard let function = try J.object(call, "function", at: callPath + ".function") else {
                throw TranslationError("'function' is required.", param: callPath + ".function")
            }
            let name = try J.requiredString(function, "name", at: callPath + ".function.name")
            let arguments = try J.string(function, "arguments", at: callPath + ".function.arguments") ?? "{}"
            parts.append(.toolCall(id: id, name: name, argumentsJSON: arguments.isEmpty ? "{}" : arguments))
        }
        return parts
    }

    /// `tools`: function tools only.
    static func tools(_ root: JSONValue) throws(TranslationError) -> [IRTool] {
        typealias J = TranslationJSON
        var tools: [IRTool] = []
        for (i, tool) in (try J.array(root, "tools", at: "tools") ?? []).enumerated() {
            let path = "tools[\(i)]"
            guard tool.isObject else { throw TranslationError("Each tool must be an object.", param: path) }
            guard (try J.string(tool, "type", at: path + ".type") ?? "function") == "function" else {
                throw TranslationError("Only function tools are supported.", param: path + ".type")
            }
            guard let function = try J.object(tool, "function", at: path + ".function") else {
                throw TranslationError("'function' is required.", param: path + ".function")
            }
            let name = try J.requiredString(function, "name", at: path + ".function.name")
            guard !name.isEmpty else { throw TranslationError("A tool needs a name.", param: path + ".function.name") }
            let schema =
                try J.object(function, "parameters", at: path + ".function.parameters")
                ?? .object([("type", .string("object")), ("properties", .object([]))])
            var cache = try J.cacheControl(tool, at: path + ".cache_control")
            if cache == nil { cache = try J.cacheControl(function, at: path + ".function.cache_control") }
            tools.append(
                IRTool(
                    name: name, description: try J.string(function, "description", at: path + ".function.description"),
                    inputSchema: schema, cache: cache))
        }
        return tools
    }

    /// `tool_choice`: `"auto"`, `"none"`, `"required"` or `{"type":"function","function":{"name":…}}`.
    static func toolChoice(_ root: JSONValue) throws(TranslationError) -> IRToolChoice? {
        typealias J = TranslationJSON
        guard let value = J.present(root, "tool_choice") else { return nil }
        switch value.string {
        case "auto": return .auto
        case "none": return IRToolChoice.none
        case "required": return .required
        case .some:
            throw TranslationError(
                "'tool_choice' must be auto, none, required or a named function.", param: "tool_choice")
        case nil: break
        }
        guard value.isObject, let function = try J.object(value, "function", at: "tool_choice.function") else {
            throw TranslationError(
                "'tool_choice' must be auto, none, required or a named function.", param: "tool_choice")
        }
        return .named(try J.requiredString(function, "name", at: "tool_choice.function.name"))
    }

    /// `response_format`: text, json_object or json_schema.
    static func responseFormat(_ root: JSONValue) throws(TranslationError) -> IRResponseFormat? {
        typealias J = TranslationJSON
        guard let format = try J.object(root, "response_format", at: "response_format") else { return nil }
        switch try J.requiredString(format, "type", at: "response_format.type") {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            guard let spec = try J.object(format, "json_schema", at: "response_format.json_schema") else {
                throw TranslationError("'json_schema' is required.", param: "response_format.json_schema")
            }
            return .jsonSchema(
                name: try J.string(spec, "name", at: "response_format.json_schema.name") ?? "response",
                schema: try J.object(spec, "schema", at: "response_format.json_schema.schema") ?? .object([]),
                strict: try J.bool(spec, "strict", at: "response_format.json_schema.strict"))
        default:
            throw TranslationError("Unsupported response_format type.", param: "response_format.type")
        }
    }

    /// `reasoning_effort` (`none` means disabled), or OpenRouter's `reasoning: {effort | max_tokens}`.
    static func reasoning(_ root: JSONValue) throws(TranslationError) -> IRReasoning? {
        typealias J = TranslationJSON
        if let effort = try J.string(root, "reasoning_effort", at: "reasoning_effort") {
            return effort == "none" ? .disabled : .effort(effort)
        }
        guard let reasoning = try J.object(root, "reasoning", at: "reasoning") else { return nil }
        if let budget = try J.integer(reasoning, "max_tokens", at: "reasoning.max_tokens") { return .budget(budget) }
        if let effort = try J.string(reasoning, "effort", at: "reasoning.effort") {
            return effort == "none" ? .disabled : .effort(effort)
        }
        if try J.bool(reasoning, "enabled", at: "reasoning.enabled") == false { return .disabled }
        return nil
    }
}
