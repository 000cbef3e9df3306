/// Writes IR events as an OpenAI chat-completions stream for a client.
///
/// Every chunk is `data: {"id","object":"chat.completion.chunk","created","model","choices":[{"index":0,"delta":{…},
/// "finish_reason":null|…}]}` followed by a blank line, in compact JSON, with the gateway's id, time and model name.
/// The first chunk is `{"role":"assistant","content":""}`; text goes to `delta.content`, reasoning to
/// `delta.reasoning_content`; a tool-call block becomes a `tool_calls` entry with a dense index of its own (0, 1, …
/// whatever blocks come before it), its id, name and empty arguments, then argument fragments; signatures are never
/// written. `.finish` makes one chunk with `delta:{}` and the mapped `finish_reason`. At `.end`: when the client asked
/// for usage, a `"choices":[]` chunk with the last usage in OpenAI terms, then `data: [DONE]`. `.error` writes
/// `data: {"error":{"message","type","code"}}` and nothing follows.
public struct OpenAIChatStreamEncoder: IRStreamEncoder {
    /// The gateway's completion id.
    public let id: String
    /// The model name shown to the client.
    public let model: String
    /// Creation time, in Unix seconds.
    public let created: Int64
    /// Whether the client asked for a usage chunk (`stream_options.include_usage`).
    public let includeUsage: Bool

    /// `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":`
    private let head: [UInt8]
    private var started = false
    private var finished = false
    private var done = false
    private var usage: TokenUsage?
    /// IR block index → the call's index in `tool_calls`, for the tool calls started so far.
    private var toolIndexes: [(block: Int, tool: Int)] = []

    /// Creates an encoder for one stream.
    public init(id: String, model: String, created: Int64, includeUsage: Bool) {
        self.id = id
        self.model = model
        self.created = created
        self.includeUsage = includeUsage
        var head = Array("data: {\"id\":".utf8)
        StreamWire.appendQuoted(id, into: &head)
        head.append(contentsOf: ",\"object\":\"chat.completion.chunk\",\"created\":".utf8)
        StreamWire.appendInt(created, into: &head)
        head.append(contentsOf: ",\"model\":".utf8)
        StreamWire.appendQuoted(model, into: &head)
        head.append(contentsOf: ",\"choices\":".utf8)
        self.head = head
    }

    /// Appends the client bytes of one IR event to `out`.
    public mutating func encode(_ event: IREvent, into out: inout [UInt8]) {
        guard !done else { return }
        switch event {
        case .start(_, _, let startUsage):
            if usage == nil { usage = startUsage }
            ensureStarted(into: &out)
        case .blockStart(let block, .toolCall(let callID, let name)):
            ensureStarted(into: &out)
            let tool = toolIndexes.count
            toolIndexes.append((block, tool))
            openDelta(into: &out)
            out.append(contentsOf: "{\"tool_calls\":[{\"index\":".utf8)
            StreamWire.appendInt(tool, into: &out)
            out.append(contentsOf: ",\"id\":".utf8)
            StreamWire.appendQuoted(callID, into: &out)
            out.append(contentsOf: ",\"type\":\"function\",\"function\":{\"name\":".utf8)
            StreamWire.appendQuoted(name, into: &out)
            out.append(contentsOf: ",\"arguments\":\"\"}}]}".utf8)
            closeDelta(finishReason: nil, into: &out)
        case .blockStart:
            ensureStarted(into: &out)
        case .textDelta(_, let text):
            guard !text.isEmpty else { return }
            ensureStarted(into: &out)
            stringDelta(key: "{\"content\":", text, into: &out)
        case .reasoningDelta(_, let text):
            guard !text.isEmpty else { return }
            ensureStarted(into: &out)
            stringDelta(key: "{\"reasoning_content\":", text, into: &out)
        case .toolArgumentsDelta(let block, let text):
            guard !text.isEmpty, let tool = toolIndexes.last(where: { $0.block == block })?.tool else { return }
            openDelta(into: &out)
            out.append(contentsOf: "{\"tool_calls\":[{\"index\":".utf8)
            StreamWire.appendInt(tool, into: &out)
            out.append(contentsOf: ",\"function\":{\"arguments\":".utf8)
            StreamWire.appendQuoted(text, into: &out)
            out.append(contentsOf: "}}]}".utf8)
            closeDelta(finishReason: nil, into: &out)
        case .signatureDelta, .blockStop:
            break
        case .usage(let snapshot):
            usage = snapshot
        case .finish(let reason, _):
            writeFinish(FinishReasonMap.openAI(reason), into: &out)
        case .error(let error):
            let (type, code) = StreamWire.openAIErrorTypeAndCode(error.kind)
            writeError(message: error.message, type: type, code: code, into: &out)
        case .end:
            writeFinish("stop", into: &out)
            if includeUsage, let usage {
                out.append(contentsOf: head)
                out.append(contentsOf: "[],\"usage\":".utf8)
                Self.writeUsage(usage, into: &out)
                out.append(contentsOf: "}\n\n".utf8)
            }
            out.append(contentsOf: "data: [DONE]\n\n".utf8)
            done = true
        }
    }

    /// Upstream ended: when neither `.end` nor `.error` was encoded, appends the truncation error frame.
    public mutating func finish(into out: inout [UInt8]) {
        guard !done else { return }
        writeError(message: StreamWire.cutMessage, type: "server_error", code: "upstream_cut", into: &out)
    }

    /// An OpenAI `usage` object for a normalised usage: prompt, completion and total, cached (and, when any, cache
    /// write) tokens, reasoning tokens.
    public static func writeUsage(_ usage: TokenUsage, into out: inout [UInt8]) {
        out.append(contentsOf: "{\"prompt_tokens\":".utf8)
        StreamWire.appendInt(usage.promptTokens, into: &out)
        out.append(contentsOf: ",\"completion_tokens\":".utf8)
        StreamWire.appendInt(usage.completionTokens, into: &out)
        out.append(contentsOf: ",\"total_tokens\":".utf8)
        StreamWire.appendInt(usage.promptTokens &+ usage.completionTokens, into: &out)
        out.append(contentsOf: ",\"prompt_tokens_details\":{\"cached_tokens\":".utf8)
        StreamWire.appendInt(usage.cachedTokens, into: &out)
        if usage.cacheWriteTokens > 0 {
            out.append(contentsOf: ",\"cache_write_tokens\":".utf8)
            StreamWire.appendInt(usage.cacheWriteTokens, into: &out)
        }
        out.append(contentsOf: "},\"completion_tokens_details\":{\"reasoning_tokens\":".utf8)
        StreamWire.appendInt(usage.reasoningTokens, into: &out)
        out.append(contentsOf: "}}".utf8)
    }

    private mutating func ensureStarted(into out: inout [UInt8]) {
        guard !started else { return }
        started = true
        openDelta(into: &out)
        out.append(contentsOf: "{\"role\":\"assistant\",\"content\":\"\"}".utf8)
        closeDelta(finishReason: nil, into: &out)
    }

    private mutating func writeFinish(_ reason: String, into out: inout [UInt8]) {
        ensureStarted(into: &out)
        guard !finished else { return }
        finished = true
        openDelta(into: &out)
        out.append(contentsOf: "{}".utf8)
        closeDelta(finishReason: reason, into: &out)
    }

    private mutating func writeError(message: String, type: String, code: String, into out: inout [UInt8]) {
        out.append(contentsOf: "data: {\"error\":{\"message\":".utf8)
        StreamWire.appendQuoted(message, into: &out)
        out.append(contentsOf: ",\"type\":".utf8)
        StreamWire.appendQuoted(type, into: &out)
        out.append(contentsOf: ",\"code\":".utf8)
        StreamWire.appendQuoted(code, into: &out)
        out.append(contentsOf: "}}\n\n".utf8)
        done = true
    }

    private func stringDelta(key: StaticString, _ text: String, into out: inout [UInt8]) {
        openDelta(into: &out)
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        StreamWire.appendQuoted(text, into: &out)
        out.append(UInt8(ascii: "}"))
        closeDelta(finishReason: nil, into: &out)
    }

    private func openDelta(into out: inout [UInt8]) {
        out.append(contentsOf: head)
        out.append(contentsOf: "[{\"index\":0,\"delta\":".utf8)
    }

    private func closeDelta(finishReason: String?, into out: inout [UInt8]) {
        if let finishReason {
            out.append(contentsOf: ",\"finish_reason\":\"".utf8)
            out.append(contentsOf: finishReason.utf8)
            out.append(contentsOf: "\"}]}\n\n".utf8)
        } else {
            out.append(contentsOf: ",\"finish_reason\":null}]}\n\n".utf8)
        }
    }
}
