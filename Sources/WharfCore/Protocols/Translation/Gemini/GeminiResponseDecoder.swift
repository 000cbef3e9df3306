/// Reads a non-streamed Gemini `generateContent` answer into an ``IRResponse``.
///
/// Parts of `candidates[0].content`: text, `thought: true` text as reasoning (with its `thoughtSignature`),
/// `functionCall` as a tool call with id `call_<idSeed>_<n>` (n counts calls from 0; a `functionCall.id` from the
/// upstream wins) and the part's `thoughtSignature` kept (dialect ``Dialect/gemini``) for replay. Empty text parts
/// are left out. `STOP` after a call is ``IRFinishReason/toolUse``; a prompt `blockReason` without candidates is a
/// ``IRFinishReason/refusal`` with no content. Usage through ``UsageNormalizer/gemini(_:)``.
public enum GeminiResponseDecoder {
    /// Decodes `body`; `idSeed` makes the tool-call ids (and the answer id when the upstream gave none).
    public static func decode(_ body: [UInt8], idSeed: String) throws(TranslationError) -> IRResponse {
        typealias J = TranslationJSON
        let root = try J.body(body, what: "The upstream answer")
        let id = root["responseId"]?.nonEmptyString ?? "gen_\(idSeed)"
        let model = root["modelVersion"]?.string ?? ""
        let usage = UsageNormalizer.usage(inAnswer: root, dialect: .gemini)
        guard let candidate = root["candidates"]?.array?.first, candidate.isObject else {
            guard root["promptFeedback"]?["blockReason"]?.string != nil else {
                throw TranslationError("The upstream answer has no candidates.", param: "candidates")
            }
            return IRResponse(id: id, model: model, content: [], finish: .refusal, usage: usage)
        }
        var content: [IRPart] = []
        var calls = 0
        for part in candidate["content"]?["parts"]?.array ?? [] {
            let signature = part["thoughtSignature"]?.nonEmptyString.map { IRSignature(dialect: .gemini, value: $0) }
            if let call = J.present(part, "functionCall") {
                let name = try J.requiredString(call, "name", at: "candidates[0].content.parts.functionCall.name")
                let args = J.present(call, "args") ?? .object([])
                content.append(
                    .toolCall(
                        id: call["id"]?.nonEmptyString ?? "call_\(idSeed)_\(calls)", name: name,
                        argumentsJSON: args.encodedString, signature: signature))
                calls += 1
            } else if let text = part["text"]?.string {
                if part["thought"]?.bool == true {
                    if !text.isEmpty || signature != nil { content.append(.reasoning(text, signature: signature)) }
                } else if !text.isEmpty {
                    content.append(.text(text))
                }
            }
        }
        let finish = candidate["finishReason"]?.string.map { FinishReasonMap.fromGemini($0, sawToolCall: calls > 0) }
        return IRResponse(
            id: id, model: model, content: content, finish: finish ?? (calls > 0 ? .toolUse : .endTurn), usage: usage)
    }
}
