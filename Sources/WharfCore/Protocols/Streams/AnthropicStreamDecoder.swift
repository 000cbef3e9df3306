/// Reads an Anthropic Messages stream (`message_start` … `message_stop`) into IR events.
///
/// - `message_start` makes `.start` with the input usage known so far (``UsageNormalizer/anthropic(_:)``).
/// - `content_block_start` of `text`, `thinking`, `redacted_thinking` and `tool_use` starts a block (renumbered
///   densely; blocks of other types, such as server tools, are skipped with their deltas); `text_delta`,
///   `thinking_delta`, `signature_delta` (kept apart, never text) and `input_json_delta` (empty ones skipped) are
///   its deltas; `content_block_stop` closes it.
/// - `message_delta` lays its usage over the snapshot (``UsageNormalizer/anthropic(_:over:)``: fields replaced,
///   never added) and makes `.usage`, then `.finish` from `stop_reason` and `stop_sequence`.
/// - `message_stop` makes `.end`; `error` makes `.error` with Wharf's own message, after which nothing more is read;
///   `ping` and event or delta types it does not know are ignored.
public struct AnthropicStreamDecoder: IRStreamDecoder {
    /// The open block: the upstream's index for it and the IR index.
    private var open: (upstream: Int64, block: Int)?
    private var nextBlock = 0
    private var usage: TokenUsage?
    private var done = false

    /// Creates a decoder for one stream.
    public init() {}

    /// The IR events of one upstream event.
    public mutating func decode(_ event: SSEEvent) -> [IREvent] {
        var out: [IREvent] = []
        guard !done, let object = try? JSONValue.parse(event.data), object.isObject else { return out }
        switch object["type"]?.string ?? event.event ?? "" {
        case "message_start":
            let message = object["message"]
            usage = message?["usage"].flatMap(UsageNormalizer.anthropic)
            out.append(
                .start(id: message?["id"]?.string ?? "", model: message?["model"]?.string ?? "", usage: usage))
        case "content_block_start":
            guard let index = object["index"]?.integer, let block = object["content_block"] else { break }
            blockStart(block, upstream: index, into: &out)
        case "content_block_delta":
            guard let current = open, object["index"]?.integer == current.upstream, let delta = object["delta"]
            else { break }
            self.delta(delta, block: current.block, into: &out)
        case "content_block_stop":
            guard let current = open, object["index"]?.integer == current.upstream else { break }
            closeOpen(into: &out)
        case "message_delta":
            closeOpen(into: &out)
            if let fields = object["usage"], let snapshot = UsageNormalizer.anthropic(fields, over: usage) {
                usage = snapshot
                out.append(.usage(snapshot))
            }
            if let reason = object["delta"]?["stop_reason"]?.string {
                out.append(
                    .finish(
                        FinishReasonMap.fromAnthropic(reason),
                        stopSequence: object["delta"]?["stop_sequence"]?.string))
            }
        case "message_stop":
            closeOpen(into: &out)
            out.append(.end)
            done = true
        case "error":
            let error = object["error"]
            out.append(.error(StreamWire.streamError(error?.isObject == true ? error : nil)))
            done = true
        default:
            break
        }
        return out
    }

    /// Upstream ended: closes any open block (see the type's notes for `.end`).
    public mutating func finish() -> [IREvent] {
        var out: [IREvent] = []
        guard !done else { return out }
        done = true
        closeOpen(into: &out)
        return out
    }

    private mutating func blockStart(_ block: JSONValue, upstream: Int64, into out: inout [IREvent]) {
        let kind: IRBlockKind
        switch block["type"]?.string {
        case "text": kind = .text
        case "thinking": kind = .reasoning
        case "redacted_thinking": kind = .redactedReasoning(data: block["data"]?.string ?? "")
        case "tool_use": kind = .toolCall(id: block["id"]?.string ?? "", name: block["name"]?.string ?? "")
        default:
            // A block type with no IR form (server tools, results): skipped with its deltas.
            closeOpen(into: &out)
            return
        }
        closeOpen(into: &out)
        let index = nextBlock
        nextBlock += 1
        open = (upstream, index)
        out.append(.blockStart(index: index, kind))
        switch kind {
        case .text:
            if let text = block["text"]?.nonEmptyString { out.append(.textDelta(index: index, text)) }
        case .reasoning:
            if let text = block["thinking"]?.nonEmptyString { out.append(.reasoningDelta(index: index, text)) }
            if let signature = block["signature"]?.nonEmptyString {
                out.append(.signatureDelta(index: index, signature))
            }
        case .toolCall:
            if let input = block["input"], !input.members.isEmpty {
                out.append(.toolArgumentsDelta(index: index, input.encodedString))
            }
        case .redactedReasoning: break
        }
    }

    private func delta(_ delta: JSONValue, block: Int, into out: inout [IREvent]) {
        switch delta["type"]?.string {
        case "text_delta":
            if let text = delta["text"]?.nonEmptyString { out.append(.textDelta(index: block, text)) }
        case "thinking_delta":
            if let text = delta["thinking"]?.nonEmptyString { out.append(.reasoningDelta(index: block, text)) }
        case "signature_delta":
            if let text = delta["signature"]?.nonEmptyString { out.append(.signatureDelta(index: block, text)) }
        case "input_json_delta":
            if let text = delta["partial_json"]?.nonEmptyString { out.append(.toolArgumentsDelta(index: block, text)) }
        default:
            break
        }
    }

    private mutating func closeOpen(into out: inout [IREvent]) {
        guard let current = open else { return }
        out.append(.blockStop(index: current.block))
        open = nil
    }
}
