/// Reads an Anthropic Messages request body (`/v1/messages`, `/v1/messages/count_tokens`) into an ``IRRequest``.
///
/// `system` may be a string or text blocks (with `cache_control`, `ttl` kept). A user message's `tool_result`
/// blocks become a `.tool` message placed before the rest of that message (Anthropic requires them first anyway).
/// `role: "system"` inside `messages` (Claude Code's mid-conversation system text) is accepted as a `.system`
/// message. `thinking` blocks keep their signature (dialect ``Dialect/anthropicMessages``). Server tools and block
/// types other dialects cannot express are dropped with a warning code; unknown members are ignored. `max_tokens`
/// may be absent (encoders supply a default).
public enum AnthropicRequestDecoder {
    /// Decodes `body`, or throws a ``TranslationError`` naming the field at fault.
    public static func decode(_ body: [UInt8]) throws(TranslationError) -> IRRequest {
        typealias J = TranslationJSON
        let root = try J.body(body)
        guard let model = try J.string(root, "model", at: "model"), !model.isEmpty else {
            throw TranslationError("model: Field required", param: "model")
        }
        guard let rawMessages = root["messages"], !rawMessages.isNull else {
            throw TranslationError("messages: Field required", param: "messages")
        }
        guard let messageValues = rawMessages.array else {
            throw TranslationError("messages: Input should be a valid list", param: "messages")
        }
        guard !messageValues.isEmpty else {
            throw TranslationError("messages: at least one message is required", param: "messages")
        }
        var request = IRRequest(model: model, wantsUsageInStream: true)
        request.system = try system(root)
        for (i, value) in messageValues.enumerated() {
            request.messages += try messages(value, at: "messages[\(i)]", warnings: &request.warnings)
        }
        request.maxOutputTokens = try J.integer(root, "max_tokens", at: "max_tokens")
        request.tools = try tools(root, warnings: &request.warnings)
        try readToolChoice(root, into: &request)
        request.temperature = try J.number(root, "temperature", at: "temperature")
        request.topP = try J.number(root, "top_p", at: "top_p")
        request.topK = try J.number(root, "top_k", at: "top_k")
        request.stopSequences = try J.stopSequences(root, "stop_sequences")
        request.reasoning = try reasoning(root)
        request.responseFormat = try responseFormat(root)
        request.stream = try J.bool(root, "stream", at: "stream") ?? false
        return request
    }

    /// `system`: a string or an array of text blocks.
    static func system(_ root: JSONValue) throws(TranslationError) -> [IRPart] {
        typealias J = TranslationJSON
        guard let value = J.present(root, "system") else { return [] }
        if let s = value.string { return s.isEmpty ? [] : [.text(s)] }
        guard let blocks = value.array else {
            throw TranslationError("system: Input should be a string or a list of text blocks", param: "system")
        }
        var parts: [IRPart] = []
        for (i, block) in blocks.enumerated() {
            let path = "system[\(i)]"
            guard block.isObject, try J.string(block, "type", at: path + ".type") == "text" else {
                throw TranslationError("system blocks must be text blocks", param: path)
            }
            parts.append(
                .text(
                    try J.requiredString(block, "text", at: path + ".text"),
                    cache: try J.cacheControl(block, at: path + ".cache_control")))
        }
        return parts
    }

    /// One message, as one or two IR messages (tool results first, as a `.tool` message).
    static func messages(_ value: JSONValue, at path: String, warnings: inout [String]) throws(TranslationError)
        -> [IRMessage]
    {
        typealias J = TranslationJSON
        guard value.isObject else { throw TranslationError("Each message must be an object.", param: path) }
        let role: IRRole
        switch try J.requiredString(value, "role", at: path + ".role") {
        case "user": role = .user
        case "assistant": role = .assistant
        case "system": role = .system
        default:
            throw TranslationError("Unknown message role; expected user or assistant.", param: path + ".role")
        }
        guard let content = J.present(value, "content") else {
            throw TranslationError("content: Field required", param: path + ".content")
        }
        if let s = content.string { return [IRMessage(role: role, parts: [.text(s)])] }
        guard let blocks = content.array else {
            throw TranslationError("content must be a string or a list of blocks", param: path + ".content")
        }
        var results: [IRPart] = []
        var parts: [IRPart] = []
        for (j, block) in blocks.enumerated() {
            let blockPath = "\(path).content[\(j)]"
            guard let part = try Self.block(block, role: role, at: blockPath, warnings: &warnings) else { continue }
            if case .toolResult = part { results.append(part) } else { parts.append(part) }
        }
        var out: [IRMessage] = []
        if !results.isEmpty { out.append(IRMessage(role: .tool, parts: results)) }
        if !parts.isEmpty || results.isEmpty { out.append(IRMessage(role: role, parts: parts)) }
        return out
    }

    /// One content block, or nil when it is dropped (with a warning).
    static func block(_ block: JSONValue, role: IRRole, at path: String, warnings: inout [String])
        throws(TranslationError) -> IRPart?
    {
        typealias J = TranslationJSON
        guard block.isObject else { throw TranslationError("Each content block must be an object.", param: path) }
        let type = try J.requiredString(block, "type", at: path + ".type")
        let cache = try J.cacheControl(block, at: path + ".cache_control")
        switch type {
        case "text":
            return .text(try J.requiredString(block, "text", at: path + ".text"), cache: cache)
        case "image":
            return .image(try source(block, at: path + ".source"), cache: cache)
        case "document":
            if let source = try J.object(block, "source", at: path + ".source"),
                try J.string(source, "type", at: path + ".source.type") == "text"
            {
                return .text(try J.requiredString(source, "data", at: path + ".source.data"), cache: cache)
            }
            return .document(
                try Self.source(block, at: path + ".source"), title: try J.string(block, "title", at: path + ".title"),
                cache: cache)
        case "tool_use" where role == .assistant:
            let input = try J.object(block, "input", at: path + ".input") ?? .object([])
            return .toolCall(
                id: try J.requiredString(block, "id", at: path + ".id"),
                name: try J.requiredString(block, "name", at: path + ".name"), argumentsJSON: input.encodedString)
        case "tool_result" where role == .user:
            return .toolResult(
                callID: try J.requiredString(block, "tool_use_id", at: path + ".tool_use_id"), name: nil,
                content: try toolResultContent(block, at: path, warnings: &warnings),
                isError: try J.bool(block, "is_error", at: path + ".is_error") ?? false)
        case "thinking" where role == .assistant:
            let signature = try J.string(block, "signature", at: path + ".signature") ?? ""
            return .reasoning(
                try J.requiredString(block, "thinking", at: path + ".thinking"),
                signature: signature.isEmpty ? nil : IRSignature(dialect: .anthropicMessages, value: signature))
        case "redacted_thinking" where role == .assistant:
            return .redactedReasoning(data: try J.requiredString(block, "data", at: path + ".data"))
        case "tool_use", "tool_result", "thinking", "redacted_thinking":
            throw TranslationError("A \(J.code(type)) block is not allowed in this role.", param: path + ".type")
        default:
            warnings.append("dropped_block:\(J.code(type))")
            return nil
        }
    }

    /// An image or document `source`: base64 or URL.
    static func source(_ block: JSONValue, at path: String) throws(TranslationError) -> IRMedia {
        typealias J = TranslationJSON
        guard let source = try J.object(block, "source", at: path) else {
            throw TranslationError("source: Field required", param: path)
        }
        switch try J.requiredString(source, "type", at: path + ".type") {
        case "base64":
            return .base64(
                mediaType: try J.requiredString(source, "media_type", at: path + ".media_type"),
                data: try J.requiredString(source, "data", at: path + ".data"))
        case "url":
            return .url(try J.requiredString(source, "url", at: path + ".url"))
        default:
            throw TranslationError("Unsupported source type; expected base64 or url.", param: path + ".type")
        }
    }

    /// A `tool_result`'s content: a string or text and image blocks.
    static func toolResultContent(_ block: JSONValue, at path: String, warnings: inout [String])
        throws(TranslationError) -> [IRPart]
    {
        typealias J = TranslationJSON
        guard let content = J.present(block, "content") else { return [] }
        if let s = content.string { return [.text(s)] }
        guard let elements = content.array else {
            throw TranslationError("content must be a string or a list of blocks", param: path + ".content")
        }
        var parts: [IRPart] = []
        for (k, element) in elements.enumerated() {
            let elementPath = "\(path).content[\(k)]"
            guard element.isObject else {
                throw TranslationError("Each content block must be an object.", param: elementPath)
            }
            switch try J.requiredString(element, "type", at: elementPath + ".type") {
            case "text": parts.append(.text(try J.requiredString(element, "text", at: elementPath + ".text")))
            case "image": parts.append(.image(try source(element, at: elementPath + ".source")))
            case let other: warnings.append("dropped_block:\(J.code(other))")
            }
        }
        return parts
    }

    /// `tools`: custom tools; server tools (a `type` other than `custom`) are dropped with a warning.
    static func tools(_ root: JSONValue, warnings: inout [String]) throws(TranslationError) -> [IRTool] {
        typealias J = TranslationJSON
        var tools: [IRTool] = []
        for (i, tool) in (try J.array(root, "tools", at: "tools") ?? []).enumerated() {
            let path = "tools[\(i)]"
            guard tool.isObject else { throw TranslationError("Each tool must be an object.", param: path) }
            if let type = try J.string(tool, "type", at: path + ".type"), type != "custom" {
                warnings.append("dropped_tool:\(J.code(type))")
                continue
            }
            let name = try J.requiredString(tool, "name", at: path + ".name")
            guard let schema = try J.object(tool, "input_schema", at: path + ".input_schema") else {
                throw TranslationError("input_schema: Field required", param: path + ".input_schema")
            }
            tools.append(
                IRTool(
                    name: name, description: try J.string(tool, "description", at: path + ".description"),
                    inputSchema: schema, cache: try J.cacheControl(tool, at: path + ".cache_control")))
        }
        return tools
    }

    /// `tool_choice` `{type: auto|any|none|tool, name, disable_parallel_tool_use}`.
    static func readToolChoice(_ root: JSONValue, into request: inout IRRequest) throws(TranslationError) {
        typealias J = TranslationJSON
        guard let choice = try J.object(root, "tool_choice", at: "tool_choice") else { return }
        switch try J.requiredString(choice, "type", at: "tool_choice.type") {
        case "auto": request.toolChoice = .auto
        case "any": request.toolChoice = .required
        case "none": request.toolChoice = IRToolChoice.none
        case "tool": request.toolChoice = .named(try J.requiredString(choice, "name", at: "tool_choice.name"))
        default:
            throw TranslationError("tool_choice.type must be auto, any, none or tool.", param: "tool_choice.type")
        }
        if let disable = try J.bool(choice, "disable_parallel_tool_use", at: "tool_choice.disable_parallel_tool_use") {
            request.parallelToolCalls = !disable
        }
    }

    /// `thinking` and `output_config.effort`. An effort wins over the thinking type (it says more), except that
    /// disabled thinking stays disabled.
    static func reasoning(_ root: JSONValue) throws(TranslationError) -> IRReasoning? {
        typealias J = TranslationJSON
        var effort: String?
        if let config = try J.object(root, "output_config", at: "output_config") {
            effort = try J.string(config, "effort", at: "output_config.effort")
        }
        guard let thinking = try J.object(root, "thinking", at: "thinking") else { return effort.map { .effort($0) } }
        switch try J.requiredString(thinking, "type", at: "thinking.type") {
        case "disabled":
            return .disabled
        case "enabled":
            if let effort { return .effort(effort) }
            guard let budget = try J.integer(thinking, "budget_tokens", at: "thinking.budget_tokens") else {
                throw TranslationError("thinking.budget_tokens: Field required", param: "thinking.budget_tokens")
            }
            return .budget(budget)
        case "adaptive":
            return effort.map { .effort($0) } ?? .adaptive
        default:
            throw TranslationError("thinking.type must be enabled, adaptive or disabled.", param: "thinking.type")
        }
    }

    /// Structured output: `output_config.format` or the older `output_format`, `{type: "json_schema", schema}`.
    static func responseFormat(_ root: JSONValue) throws(TranslationError) -> IRResponseFormat? {
        typealias J = TranslationJSON
        var format = try J.object(root, "output_format", at: "output_format")
        if let config = try J.object(root, "output_config", at: "output_config"),
            let configured = try J.object(config, "format", at: "output_config.format")
        {
            format = configured
        }
        guard let format, try J.string(format, "type", at: "output_format.type") == "json_schema" else { return nil }
        return .jsonSchema(
            name: "response", schema: try J.object(format, "schema", at: "output_format.schema") ?? .object([]),
            strict: nil)
    }
}
