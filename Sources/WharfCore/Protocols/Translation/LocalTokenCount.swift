/// A local estimate of a request's input tokens for /v1/messages/count_tokens when the channel is not Anthropic:
/// counts system, messages (text, tool calls/results), tools (name, description, schema text) and a fixed
/// allowance per image/document (say 1600 tokens) — 1 token per 4 bytes of text, rounded up, plus small per-message
/// overhead. Never zero for a non-empty request.
public enum LocalTokenCount {
    /// Tokens allowed per image or document.
    public static let mediaTokens: Int64 = 1600
    /// Overhead per message (role and separators).
    public static let messageOverhead: Int64 = 4
    /// Overhead per tool definition.
    public static let toolOverhead: Int64 = 8

    /// The estimated input tokens of `request`.
    public static func inputTokens(_ request: IRRequest) -> Int64 {
        var bytes = 0
        var media: Int64 = 0
        func count(_ parts: [IRPart]) {
            for part in parts {
                switch part {
                case .text(let text, _): bytes += text.utf8.count
                case .image, .document: media += 1
                case .toolCall(let id, let name, let argumentsJSON, _):
                    bytes += id.utf8.count + name.utf8.count + argumentsJSON.utf8.count
                case .toolResult(let callID, _, let content, _):
                    bytes += callID.utf8.count
                    count(content)
                case .reasoning(let text, _): bytes += text.utf8.count
                case .redactedReasoning(let data): bytes += data.utf8.count
                }
            }
        }
        count(request.system)
        for message in request.messages { count(message.parts) }
        for tool in request.tools {
            bytes += tool.name.utf8.count + (tool.description?.utf8.count ?? 0) + tool.inputSchema.encoded.count
        }
        let overhead =
            Int64(request.messages.count) * messageOverhead + (request.system.isEmpty ? 0 : messageOverhead)
            + Int64(request.tools.count) * toolOverhead
        return Int64((bytes + 3) / 4) + media * mediaTokens + overhead
    }
}
