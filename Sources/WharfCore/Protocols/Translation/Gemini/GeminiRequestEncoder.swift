/// Writes an ``IRRequest`` as a Gemini `generateContent` request body (the model goes in the URL, see
/// ``path(upstreamModel:stream:)``).
///
/// Choices made here (warning codes from ``translate(_:)``):
/// - `systemInstruction` holds the system parts and any later `.system` messages, one text part each.
/// - Roles: user and tool → `user`, assistant → `model`; consecutive contents of one role are merged (parallel
///   function responses must share one content). Empty text parts are not sent.
/// - `functionCall` parts replay a Gemini `thoughtSignature` byte for byte; a model turn whose first call has none
///   gets the documented bypass value `skip_thought_signature_validator` on that call. Reasoning is sent back only
///   with a Gemini signature.
/// - `functionResponse.name` is recovered from the earlier call with that id; `response` is the result when it is a
///   JSON object, `{"result": […]}` for an array, else `{"content": text}`. Images in results are dropped.
/// - Function declarations drop `parameters` when it has no properties; `additionalProperties` and `$schema` are
///   removed from schemas at every depth (Gemini refuses them).
/// - Images: base64 → `inlineData`, URL → `fileData` with a MIME type guessed from the extension (default
///   `image/jpeg`; `application/pdf` for documents).
/// - `generationConfig`: sampling, `maxOutputTokens`, at most 5 `stopSequences`, JSON mode as `responseMimeType`
///   (+ `responseSchema`), thinking as `thinkingConfig` (budget as given; effort low 1024, medium 8192, high 24576;
///   adaptive −1, Gemini's dynamic budget; disabled 0) with `includeThoughts` when thinking is on.
public enum GeminiRequestEncoder {
    /// The signature Google documents for function calls whose real signature is unknown (foreign history).
    public static let bypassSignature = "skip_thought_signature_validator"

    /// The request body.
    public static func encode(_ request: IRRequest) -> [UInt8] { translate(request).body }

    /// "/v1beta/models/{model}:generateContent" or "/v1beta/models/{model}:streamGenerateContent?alt=sse"
    /// (model percent-encoded as a path segment).
    public static func path(upstreamModel: String, stream: Bool) -> String {
        var model = Substring(upstreamModel)
        if model.hasPrefix("models/") { model = model.dropFirst(7) }
        let segment = percentEncoded(String(model))
        return stream
            ? "/v1beta/models/\(segment):streamGenerateContent?alt=sse" : "/v1beta/models/\(segment):generateContent"
    }

    /// The request body and the warning codes of what was dropped or changed.
    public static func translate(_ request: IRRequest) -> (body: [UInt8], warnings: [String]) {
        var warnings: [String] = []
        var body: TranslationJSON.Members = [("contents", .array(contents(request.messages, warnings: &warnings)))]
        let later = request.messages.filter { $0.role == .system }.flatMap(\.parts)
        let system = (request.system + later).compactMap { part -> JSONValue? in
            guard case .text(let text, _) = part, !text.isEmpty else { return nil }
            return .object([("text", .string(text))])
        }
        if !system.isEmpty { body.append(("systemInstruction", .object([("parts", .array(system))]))) }
        if !request.tools.isEmpty {
            body.append(
                ("tools", .array([.object([("functionDeclarations", .array(request.tools.map(declaration)))])])))
            if let config = toolConfig(request.toolChoice) { body.append(("toolConfig", config)) }
        }
        let config = generationConfig(request, warnings: &warnings)
        if !config.isEmpty { body.append(("generationConfig", .object(config))) }
        if request.parallelToolCalls == false { warnings.append("dropped:parallel_tool_calls") }
        return (JSONValue.object(body).encoded, warnings)
    }

    /// A function declaration.
    static func declaration(_ tool: IRTool) -> JSONValue {
        var members: TranslationJSON.Members = [("name", .string(tool.name))]
        if let description = tool.description { members.append(("description", .string(description))) }
        let schema = cleanedSchema(tool.inputSchema)
        if let properties = schema["properties"], !properties.members.isEmpty {
            members.append(("parameters", schema))
        }
        return .object(members)
    }

    /// `schema` without `additionalProperties` and `$schema` at any depth.
    public static func cleanedSchema(_ schema: JSONValue) -> JSONValue {
        switch schema {
        case .object(let members):
            return .object(
                members.filter { $0.key != "additionalProperties" && $0.key != "$schema" }.map {
                    ($0.key, cleanedSchema($0.value))
                })
        case .array(let elements):
            return .array(elements.map(cleanedSchema))
        default:
            return schema
        }
    }

    /// `toolConfig.functionCallingConfig` for a tool choice.
    static func toolConfig(_ choice: IRToolChoice?) -> JSONValue? {
        let config: TranslationJSON.Members
        switch choice {
        case nil: return nil
        case .auto: config = [("mode", .string("AUTO"))]
        case .some(.none): config = [("mode", .string("NONE"))]
        case .required: config = [("mode", .string("ANY"))]
        case .named(let name):
            config = [("mode", .string("ANY")), ("allowedFunctionNames", .array([.string(name)]))]
        }
        return .object([("functionCallingConfig", .object(config))])
    }

    /// `generationConfig` members (empty when nothing is set).
    static func generationConfig(_ request: IRRequest, warnings: inout [String]) -> TranslationJSON.Members {
        var config: TranslationJSON.Members = []
        if let temperature = request.temperature { config.append(("temperature", .number(temperature.text))) }
        if let topP = request.topP { config.append(("topP", .number(topP.text))) }
        if let topK = request.topK { config.append(("topK", .number(topK.text))) }
        if let maxTokens = request.maxOutputTokens { config.append(("maxOutputTokens", .int(maxTokens))) }
        if !request.stopSequences.isEmpty {
            if request.stopSequences.count > 5 { warnings.append("dropped:stop_sequences_beyond_5") }
            config.append(("stopSequences", .array(request.stopSequences.prefix(5).map { .string($0) })))
        }
        switch request.responseFormat {
        case nil, .text: break
        case .jsonObject: config.append(("responseMimeType", .string("application/json")))
        case .jsonSchema(_, let schema, _):
            config.append(("responseMimeType", .string("application/json")))
            config.append(("responseSchema", cleanedSchema(schema)))
        }
        if let thinking = thinkingConfig(request.reasoning) { config.append(("thinkingConfig", thinking)) }
        return config
    }

    /// `thinkingConfig` for a reasoning request.
    static func thinkingConfig(_ reasoning: IRReasoning?) -> JSONValue? {
        let budget: Int64
        switch reasoning {
        case nil: return nil
        case .disabled: return .object([("thinkingBudget", .int(0))])
        case .adaptive: budget = -1
        case .budget(let n): budget = n
        case .effort(let effort):
            switch effort {
            case "none": return .object([("thinkingBudget", .int(0))])
            case "minimal", "low": budget = 1024
            case "medium": budget = 8192
            default: budget = 24576
            }
        }
        return .object([("thinkingBudget", .int(budget)), ("includeThoughts", .bool(true))])
    }

    /// `model` percent-encoded as one path segment (RFC 3986 unreserved characters kept).
    static func percentEncoded(_ model: String) -> String {
        var out = ""
        for byte in model.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0F)])"
            }
        }
        return out
    }
}
