/// Writes IR events as an Anthropic Messages stream for a client; each frame is `event: <type>\ndata: <json>\n\n`.
///
/// - `message_start` carries the gateway's id and model name and the input known at the start: the upstream's own
///   (uncached input and cache fields) when it gave one, else `estimatedInputTokens`, so a client's context meter
///   never reads 0 for a non-empty prompt; `output_tokens` is 0.
/// - Blocks are renumbered densely: `content_block_start` of `text` (`"text":""`), `thinking` (`"thinking":"",
///   "signature":""`), `redacted_thinking` and `tool_use` (id made to match `^[a-zA-Z0-9_-]+$`, always `input:{}`);
///   `text_delta`, `thinking_delta`, `signature_delta` (thinking blocks only), `input_json_delta`;
///   `content_block_stop`. An open block is closed before another opens. A text block opens with its first text, and
///   blank text before any block is dropped, so no empty text block is ever sent.
/// - `.finish` and `.usage` are held: at `.end` one `message_delta` carries the stop reason, stop sequence and the
///   last usage (OpenAI upstreams send usage after the finish), then `message_stop`. With no usage, the input of
///   `message_start` and an output estimated from the text written are sent.
/// - `.error` writes an `event: error` frame and nothing follows.
public struct AnthropicStreamEncoder: IRStreamEncoder, CustomStringConvertible {
    private enum Kind { case text, thinking, tool, redacted }

    /// The gateway's message id.
    public let id: String
    /// The model name shown to the client.
    public let model: String
    /// The locally estimated input tokens, used when the upstream reports none at the start.
    public let estimatedInputTokens: Int64

    private var started = false
    private var done = false
    /// The input figures sent in `message_start`: uncached, cache write, cache read.
    private var startInput: (uncached: Int64, write: Int64, read: Int64) = (0, 0, 0)
    private var usage: TokenUsage?
    private var stop: IRFinishReason?
    private var stopSequence: String?
    /// The open block: IR index, client index, kind.
    private var open: (block: Int, index: Int, kind: Kind)?
    /// A text block started upstream but not yet opened for the client (it opens with its first text).
    private var pendingText: Int?
    private var nextIndex = 0
    /// Bytes of text, thinking and arguments written (for the output estimate when no usage comes).
    private var textBytes = 0

    /// Creates an encoder for one stream.
    public init(id: String, model: String, estimatedInputTokens: Int64) {
        self.id = id
        self.model = model
        self.estimatedInputTokens = estimatedInputTokens
    }

    /// The id, model and progress only (a stop sequence is request content).
    public var description: String {
        "AnthropicStreamEncoder(id: \(id), model: \(model), blocks: \(nextIndex), done: \(done))"
    }

    /// Appends the client bytes of one IR event to `out`.
    public mutating func encode(_ event: IREvent, into out: inout [UInt8]) {
        guard !done else { return }
        switch event {
        case .start(_, _, let startUsage):
            ensureStarted(startUsage, into: &out)
        case .blockStart(let block, let kind):
            ensureStarted(nil, into: &out)
            closeOpen(into: &out)
            pendingText = nil
            switch kind {
            case .text:
                pendingText = block
            case .reasoning:
                openBlock(
                    block, .thinking, body: "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}".utf8,
                    into: &out)
            case .redactedReasoning(let data):
                var body = Array("{\"type\":\"redacted_thinking\",\"data\":".utf8)
                StreamWire.appendQuoted(data, into: &body)
                body.append(UInt8(ascii: "}"))
                openBlock(block, .redacted, body: body, into: &out)
            case .toolCall(let callID, let name):
                var body = Array("{\"type\":\"tool_use\",\"id\":".utf8)
                StreamWire.appendQuoted(StreamWire.anthropicToolID(callID, fallback: "toolu_\(nextIndex)"), into: &body)
                body.append(contentsOf: ",\"name\":".utf8)
                StreamWire.appendQuoted(name, into: &body)
                body.append(contentsOf: ",\"input\":{}}".utf8)
                openBlock(block, .tool, body: body, into: &out)
            }
        case .textDelta(let block, let text):
            guard !text.isEmpty else { return }
            if pendingText == block {
                if nextIndex == 0 && Self.isBlank(text) { return }
                pendingText = nil
                openBlock(block, .text, body: "{\"type\":\"text\",\"text\":\"\"}".utf8, into: &out)
            }
            delta(block, .text, type: "{\"type\":\"text_delta\",\"text\":", text, into: &out)
        case .reasoningDelta(let block, let text):
            delta(block, .thinking, type: "{\"type\":\"thinking_delta\",\"thinking\":", text, into: &out)
        case .signatureDelta(let block, let text):
            delta(
                block, .thinking, type: "{\"type\":\"signature_delta\",\"signature\":", text, counted: false, into: &out
            )
        case .toolArgumentsDelta(let block, let text):
            delta(block, .tool, type: "{\"type\":\"input_json_delta\",\"partial_json\":", text, into: &out)
        case .blockStop(let block):
            if pendingText == block { pendingText = nil }
            if open?.block == block { closeOpen(into: &out) }
        case .usage(let snapshot):
            usage = snapshot
        case .finish(let reason, let sequence):
            closeOpen(into: &out)
            pendingText = nil
            stop = reason
            stopSequence = sequence
        case .error(let error):
            writeError(type: ErrorEnvelope.anthropicType(error.kind), message: error.message, into: &out)
        case .end:
            ensureStarted(nil, into: &out)
            closeOpen(into: &out)
            writeEnd(into: &out)
            done = true
        }
    }

    /// Upstream ended: when neither `.end` nor `.error` was encoded, appends the truncation error frame.
    public mutating func finish(into out: inout [UInt8]) {
        guard !done else { return }
        writeError(type: "api_error", message: StreamWire.cutMessage, into: &out)
    }

    private static func isBlank(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    }

    private mutating func ensureStarted(_ startUsage: TokenUsage?, into out: inout [UInt8]) {
        guard !started else { return }
        started = true
        if let startUsage, startUsage.promptTokens > 0 {
            startInput = (startUsage.uncachedPromptTokens, startUsage.cacheWriteTokens, startUsage.cachedTokens)
        } else {
            startInput = (max(0, estimatedInputTokens), 0, 0)
        }
        frameHead("message_start", into: &out)
        out.append(contentsOf: "{\"type\":\"message_start\",\"message\":{\"id\":".utf8)
        StreamWire.appendQuoted(id, into: &out)
        out.append(contentsOf: ",\"type\":\"message\",\"role\":\"assistant\",\"model\":".utf8)
        StreamWire.appendQuoted(model, into: &out)
        out.append(contentsOf: ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":".utf8)
        Self.writeUsage(
            input: startInput.uncached, write: startInput.write, read: startInput.read, output: 0, into: &out)
        out.append(contentsOf: "}}\n\n".utf8)
    }

    private mutating func writeEnd(into out: inout [UInt8]) {
        frameHead("message_delta", into: &out)
        out.append(contentsOf: "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"".utf8)
        out.append(contentsOf: FinishReasonMap.anthropic(stop ?? .endTurn).utf8)
        out.append(contentsOf: "\",\"stop_sequence\":".utf8)
        if let stopSequence {
            StreamWire.appendQuoted(stopSequence, into: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(contentsOf: "},\"usage\":".utf8)
        if let usage {
            Self.writeUsage(
                input: usage.uncachedPromptTokens, write: usage.cacheWriteTokens, read: usage.cachedTokens,
                output: usage.completionTokens, into: &out)
        } else {
            Self.writeUsage(
                input: startInput.uncached, write: startInput.write, read: startInput.read,
                output: TokenEstimator.outputTokens(textBytes: textBytes), into: &out)
        }
        out.append(contentsOf: "}\n\n".utf8)
        frameHead("message_stop", into: &out)
        out.append(contentsOf: "{\"type\":\"message_stop\"}\n\n".utf8)
    }

    /// An Anthropic `usage` object.
    private static func writeUsage(input: Int64, write: Int64, read: Int64, output: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: "{\"input_tokens\":".utf8)
        StreamWire.appendInt(input, into: &out)
        out.append(contentsOf: ",\"cache_creation_input_tokens\":".utf8)
        StreamWire.appendInt(write, into: &out)
        out.append(contentsOf: ",\"cache_read_input_tokens\":".utf8)
        StreamWire.appendInt(read, into: &out)
        out.append(contentsOf: ",\"output_tokens\":".utf8)
        StreamWire.appendInt(output, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    private mutating func writeError(type: String, message: String, into out: inout [UInt8]) {
        frameHead("error", into: &out)
        out.append(contentsOf: "{\"type\":\"error\",\"error\":{\"type\":".utf8)
        StreamWire.appendQuoted(type, into: &out)
        out.append(contentsOf: ",\"message\":".utf8)
        StreamWire.appendQuoted(message, into: &out)
        out.append(contentsOf: "}}\n\n".utf8)
        done = true
    }

    private func frameHead(_ type: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: "event: ".utf8)
        out.append(contentsOf: UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount))
        out.append(contentsOf: "\ndata: ".utf8)
    }

    private mutating func openBlock(_ block: Int, _ kind: Kind, body: some Sequence<UInt8>, into out: inout [UInt8]) {
        closeOpen(into: &out)
        let index = nextIndex
        nextIndex += 1
        open = (block, index, kind)
        frameHead("content_block_start", into: &out)
        out.append(contentsOf: "{\"type\":\"content_block_start\",\"index\":".utf8)
        StreamWire.appendInt(index, into: &out)
        out.append(contentsOf: ",\"content_block\":".utf8)
        out.append(contentsOf: body)
        out.append(contentsOf: "}\n\n".utf8)
    }

    private mutating func delta(
        _ block: Int, _ kind: Kind, type: StaticString, _ text: String, counted: Bool = true,
        into out: inout [UInt8]
    ) {
        guard !text.isEmpty, let current = open, current.block == block, current.kind == kind else { return }
        if counted { textBytes += text.utf8.count }
        frameHead("content_block_delta", into: &out)
        out.append(contentsOf: "{\"type\":\"content_block_delta\",\"index\":".utf8)
        StreamWire.appendInt(current.index, into: &out)
        out.append(contentsOf: ",\"delta\":".utf8)
        out.append(contentsOf: UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount))
        StreamWire.appendQuoted(text, into: &out)
        out.append(contentsOf: "}}\n\n".utf8)
    }

    private mutating func closeOpen(into out: inout [UInt8]) {
        guard let current = open else { return }
        open = nil
        frameHead("content_block_stop", into: &out)
        out.append(contentsOf: "{\"type\":\"content_block_stop\",\"index\":".utf8)
        StreamWire.appendInt(current.index, into: &out)
        out.append(contentsOf: "}\n\n".utf8)
    }
}
