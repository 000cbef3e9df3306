/// Writes an ``IRRequest`` as an Anthropic Messages request body.
///
/// Choices made here (each dropped or changed value adds a warning code, see
/// ``translate(_:upstreamModel:defaultMaxTokens:)``):
/// - `system`: system parts plus any later `.system` messages (appended, in order); a block array when any part has
///   `cache_control` (ttl kept), else one string joined by a blank line.
/// - `tool` messages and tool results are merged into one user message, `tool_result` blocks first; consecutive
///   messages of one role are merged; empty or whitespace-only text blocks are never sent; messages left empty are
///   dropped.
/// - Reasoning from history is sent back only with an Anthropic signature; other reasoning is dropped.
/// - Tool-call ids are rewritten to `^[a-zA-Z0-9_-]+$`.
/// - Thinking: a budget becomes `{type:"enabled",budget_tokens}` (at least 1024); an effort becomes a budget
///   (low 1024, medium 2048, high 4096) or, on adaptive-only models (``AnthropicThinkingMode``), `{type:"adaptive"}`
///   with `output_config.effort`; adaptive stays adaptive on models that take it, else a 2048 budget. `max_tokens`
///   (`maxOutputTokens ?? defaultMaxTokens`) is raised to budget + that value when it does not exceed the budget.
///   With thinking on, `temperature` and `top_k` are removed, `top_p` below 0.95 too, and a forced `tool_choice`
///   becomes `auto`.
/// - `temperature` above 1 is clamped to 1; `top_p` is dropped when `temperature` is set (Claude 4.5 and later
///   models refuse both at once). Adaptive-only models get no sampling parameters.
/// - JSON mode (`response_format`) is dropped with a warning: it has no portable Anthropic form.
public enum AnthropicRequestEncoder {
    /// The request body. `max_tokens` is `request.maxOutputTokens ?? defaultMaxTokens`, raised above any thinking
    /// budget.
    public static func encode(_ request: IRRequest, upstreamModel: String, defaultMaxTokens: Int64) -> [UInt8] {
        translate(request, upstreamModel: upstreamModel, defaultMaxTokens: defaultMaxTokens).body
    }

    /// The request body and the warning codes of what was dropped or changed.
    public static func translate(_ request: IRRequest, upstreamModel: String, defaultMaxTokens: Int64)
        -> (body: [UInt8], warnings: [String])
    {
        var warnings: [String] = []
        let mode = AnthropicThinkingMode(model: upstreamModel)
        let thinking = Self.thinking(request.reasoning, mode: mode)
        var maxTokens = request.maxOutputTokens ?? defaultMaxTokens
        if let budget = thinking.budget, maxTokens <= budget {
            maxTokens = budget + max(request.maxOutputTokens ?? defaultMaxTokens, 1)
            warnings.append("max_tokens_raised_above_thinking_budget")
        }
        var body: TranslationJSON.Members = [("model", .string(upstreamModel)), ("max_tokens", .int(maxTokens))]
        if let system = system(request) { body.append(("system", system)) }
        body.append(("messages", .array(messages(request.messages))))
        if !request.tools.isEmpty {
            body.append(("tools", .array(request.tools.map(tool))))
            if let choice = toolChoice(request, thinkingOn: thinking.value != nil, warnings: &warnings) {
                body.append(("tool_choice", choice))
            }
        }
        let stops = request.stopSequences.filter(TranslationJSON.hasVisibleText)
        if stops.count < request.stopSequences.count { warnings.append("dropped:blank_stop_sequences") }
        if !stops.isEmpty { body.append(("stop_sequences", .array(stops.map { .string($0) }))) }
        body += sampling(request, mode: mode, thinkingOn: thinking.value != nil, warnings: &warnings)
        if let value = thinking.value { body.append(("thinking", value)) }
        if let effort = thinking.effort { body.append(("output_config", .object([("effort", .string(effort))]))) }
        if let format = request.responseFormat, format != .text { warnings.append("dropped:response_format") }
        if request.stream { body.append(("stream", .bool(true))) }
        return (JSONValue.object(body).encoded, warnings)
    }

    /// `system` from the leading system parts and the later `.system` messages.
    static func system(_ request: IRRequest) -> JSONValue? {
        let later = request.messages.filter { $0.role == .system }.flatMap(\.parts)
        var texts: [(String, IRCacheControl?)] = []
        for part in request.system + later {
            if case .text(let s, let cache) = part, TranslationJSON.hasVisibleText(s) { texts.append((s, cache)) }
        }
        guard !texts.isEmpty else { return nil }
        guard texts.contains(where: { $0.1 != nil }) else {
            return .string(texts.map(\.0).joined(separator: "\n\n"))
        }
        return .array(texts.map { text, cache in textBlock(text, cache: cache) })
    }

    /// A text block.
    static func textBlock(_ text: String, cache: IRCacheControl?) -> JSONValue {
        var block: TranslationJSON.Members = [("type", .string("text")), ("text", .string(text))]
        if let cache { block.append(("cache_control", TranslationJSON.cacheControlValue(cache))) }
        return .object(block)
    }

    /// A tool definition.
    static func tool(_ tool: IRTool) -> JSONValue {
        var members: TranslationJSON.Members = [("name", .string(tool.name))]
        if let description = tool.description { members.append(("description", .string(description))) }
        members.append(("input_schema", tool.inputSchema))
        if let cache = tool.cache { members.append(("cache_control", TranslationJSON.cacheControlValue(cache))) }
        return .object(members)
    }

    /// `tool_choice`, with `disable_parallel_tool_use` when parallel calls are off; a forced choice becomes `auto`
    /// under thinking (Anthropic allows only auto and none then).
    static func toolChoice(_ request: IRRequest, thinkingOn: Bool, warnings: inout [String]) -> JSONValue? {
        var members: TranslationJSON.Members
        switch request.toolChoice {
        case nil: members = [("type", .string("auto"))]
        case .auto: members = [("type", .string("auto"))]
        case .some(.none): members = [("type", .string("none"))]
        case .required: members = [("type", .string("any"))]
        case .named(let name): members = [("type", .string("tool")), ("name", .string(name))]
        }
        let forced: Bool
        switch request.toolChoice {
        case .required, .named: forced = true
        default: forced = false
        }
        if thinkingOn, forced {
            members = [("type", .string("auto"))]
            warnings.append("tool_choice_relaxed_for_thinking")
        }
        if request.parallelToolCalls == false {
            members.append(("disable_parallel_tool_use", .bool(true)))
        } else if request.toolChoice == nil {
            return nil
        }
        return .object(members)
    }

    /// `temperature`, `top_p`, `top_k` as this model and thinking allow.
    static func sampling(_ request: IRRequest, mode: AnthropicThinkingMode, thinkingOn: Bool, warnings: inout [String])
        -> TranslationJSON.Members
    {
        var out: TranslationJSON.Members = []
        if mode == .adaptiveOnly {
            for (key, value) in [
                ("temperature", request.temperature), ("top_p", request.topP), ("top_k", request.topK),
            ]
            where value != nil {
                warnings.append("dropped:\(key)")
            }
            return out
        }
        if let temperature = request.temperature {
            if thinkingOn {
                warnings.append("dropped:temperature")
            } else if let value = temperature.value, value > 1 {
                warnings.append("clamped:temperature")
                out.append(("temperature", .number("1")))
            } else {
                out.append(("temperature", .number(temperature.text)))
            }
        }
        if let topP = request.topP {
            if thinkingOn, (topP.value ?? 0) < 0.95 {
                warnings.append("dropped:top_p")
            } else if !thinkingOn, request.temperature != nil {
                warnings.append("dropped:top_p_with_temperature")
            } else {
                out.append(("top_p", .number(topP.text)))
            }
        }
        if let topK = request.topK {
            if thinkingOn {
                warnings.append("dropped:top_k")
            } else {
                out.append(("top_k", .number(topK.text)))
            }
        }
        return out
    }

    /// The `thinking` value, its budget (when a budget is set) and an `output_config.effort`.
    static func thinking(_ reasoning: IRReasoning?, mode: AnthropicThinkingMode)
        -> (value: JSONValue?, budget: Int64?, effort: String?)
    {
        func enabled(_ budget: Int64) -> (JSONValue?, Int64?, String?) {
            let budget = max(budget, 1024)
            return (.object([("type", .string("enabled")), ("budget_tokens", .int(budget))]), budget, nil)
        }
        let adaptive: JSONValue = .object([("type", .string("adaptive"))])
        switch reasoning {
        case nil, .disabled:
            return (nil, nil, nil)
        case .budget(let budget):
            return mode == .adaptiveOnly ? (adaptive, nil, nil) : enabled(budget)
        case .adaptive:
            return mode == .budgetOnly ? enabled(2048) : (adaptive, nil, nil)
        case .effort(let effort):
            if effort == "none" { return (nil, nil, nil) }
            if mode == .adaptiveOnly { return (adaptive, nil, anthropicEffort(effort)) }
            return enabled(budget(forEffort: effort))
        }
    }

    /// Anthropic's effort name for an OpenAI-style effort (`minimal` → `low`, `xhigh` → `high`).
    static func anthropicEffort(_ effort: String) -> String {
        switch effort {
        case "minimal": "low"
        case "xhigh": "high"
        default: effort
        }
    }

    /// The thinking budget used for an effort: low 1024, medium 2048, high 4096 (LiteLLM's table).
    public static func budget(forEffort effort: String) -> Int64 {
        switch effort {
        case "minimal", "low": 1024
        case "medium": 2048
        default: 4096
        }
    }
}
