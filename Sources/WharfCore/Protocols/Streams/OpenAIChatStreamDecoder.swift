/// Reads an OpenAI chat-completions stream (`data: {chat.completion.chunk}` … `data: [DONE]`) into IR events.
///
/// - The first chunk makes `.start`; `delta.reasoning_content` (or `delta.reasoning`) goes to a reasoning block,
///   `delta.content` (and `delta.refusal`) to a text block; empty fragments make nothing.
/// - A tool fragment with an id and name starts a tool-call block; its `arguments` fragments are argument deltas.
///   Blocks open one at a time: a call that starts while another is still open waits, its arguments buffered, and
///   opens when the open call's arguments form a whole JSON value, or when the calls end (another kind of content,
///   `finish_reason`, `[DONE]`, end of input). So fragments of two calls that interleave still make two well-formed
///   sequential blocks.
/// - A chunk with content and `finish_reason` keeps its content: content first, then `.finish`.
/// - A `usage` object makes `.usage` (``UsageNormalizer/openAI(_:)``); `[DONE]` makes `.end`; `{"error":{…}}` makes
///   `.error` with Wharf's own message, after which nothing more is read.
public struct OpenAIChatStreamDecoder: IRStreamDecoder, CustomStringConvertible {
    /// A tool call as it streams in.
    struct Call {
        enum State { case waiting, open, closed }
        var openAIIndex: Int
        var id: String
        var name: String
        /// Arguments received while the call waited.
        var buffered: String = ""
        var state: State = .waiting
        var block: Int = -1
        var scanner = JSONCompletionScanner()
    }

    enum Open {
        case text(Int)
        case reasoning(Int)
        case tool(slot: Int)
    }

    private var started = false
    private var done = false
    private var nextBlock = 0
    private var open: Open?
    private var calls: [Call] = []
    /// Calls still waiting, counted so the common case (none) costs nothing.
    private var waitingCount = 0

    /// Creates a decoder for one stream.
    public init() {}

    /// Counts only (buffered arguments are model output).
    public var description: String {
        "OpenAIChatStreamDecoder(blocks: \(nextBlock), calls: \(calls.count), waiting: \(waitingCount), done: \(done))"
    }

    /// The IR events of one upstream event.
    public mutating func decode(_ event: SSEEvent) -> [IREvent] {
        var out: [IREvent] = []
        guard !done else { return out }
        let data = event.data
        if data.count == 6, data == Self.doneMarker {
            closeAll(into: &out)
            out.append(.end)
            done = true
            return out
        }
        guard let chunk = try? JSONValue.parse(data), chunk.isObject else { return out }
        if let error = chunk["error"], !error.isNull {
            out.append(.error(StreamWire.streamError(error.isObject ? error : nil)))
            done = true
            return out
        }
        if !started {
            started = true
            out.append(.start(id: chunk["id"]?.string ?? "", model: chunk["model"]?.string ?? "", usage: nil))
        }
        if let choices = chunk["choices"]?.array, !choices.isEmpty {
            let choice = choices.first { $0["index"]?.integer ?? 0 == 0 } ?? choices[0]
            if let delta = choice["delta"], delta.isObject { read(delta, into: &out) }
            if let raw = choice["finish_reason"]?.string {
                closeAll(into: &out)
                // Some servers end a turn of tool calls with "stop": the client must still see a tool use.
                let reason = FinishReasonMap.fromOpenAI(raw)
                out.append(.finish(reason == .endTurn && !calls.isEmpty ? .toolUse : reason, stopSequence: nil))
            }
        }
        if let usage = chunk["usage"], usage.isObject, let normalised = UsageNormalizer.openAI(usage) {
            out.append(.usage(normalised))
        }
        return out
    }

    /// Upstream ended: closes any open block (see the type's notes for `.end`).
    public mutating func finish() -> [IREvent] {
        var out: [IREvent] = []
        guard !done else { return out }
        done = true
        closeAll(into: &out)
        return out
    }

    private static let doneMarker = Array("[DONE]".utf8)

    private mutating func read(_ delta: JSONValue, into out: inout [IREvent]) {
        if let text = delta["reasoning_content"]?.nonEmptyString ?? delta["reasoning"]?.nonEmptyString {
            if case .reasoning(let index) = open {
                out.append(.reasoningDelta(index: index, text))
            } else {
                closeAll(into: &out)
                let index = startBlock(.reasoning, into: &out)
                open = .reasoning(index)
                out.append(.reasoningDelta(index: index, text))
            }
        }
        if let text = delta["content"]?.nonEmptyString { appendText(text, into: &out) }
        if let text = delta["refusal"]?.nonEmptyString { appendText(text, into: &out) }
        if let fragments = delta["tool_calls"]?.array {
            for (position, fragment) in fragments.enumerated() {
                toolFragment(fragment, position: position, into: &out)
            }
            advance(into: &out)
        }
    }

    private mutating func appendText(_ text: String, into out: inout [IREvent]) {
        if case .text(let index) = open {
            out.append(.textDelta(index: index, text))
        } else {
            closeAll(into: &out)
            let index = startBlock(.text, into: &out)
            open = .text(index)
            out.append(.textDelta(index: index, text))
        }
    }

    private mutating func toolFragment(_ fragment: JSONValue, position: Int, into out: inout [IREvent]) {
        let openAIIndex = fragment["index"]?.integer.map { Int($0) } ?? position
        let function = fragment["function"]
        let id = fragment["id"]?.nonEmptyString
        let name = function?["name"]?.nonEmptyString
        let arguments = function?["arguments"]?.string ?? ""
        // A fragment that names a function under an id other than its index's call starts another call: some
        // servers (Ollama) give every parallel call index 0. A changing id alone does not (some servers send a new id
        // with every fragment of one call).
        guard let slot = calls.lastIndex(where: { $0.openAIIndex == openAIIndex }),
            id == nil || name == nil || calls[slot].id.isEmpty || calls[slot].id == id
        else {
            calls.append(Call(openAIIndex: openAIIndex, id: id ?? "", name: name ?? "", buffered: arguments))
            waitingCount += 1
            return
        }
        switch calls[slot].state {
        case .open:
            guard !arguments.isEmpty else { return }
            calls[slot].scanner.feed(arguments)
            out.append(.toolArgumentsDelta(index: calls[slot].block, arguments))
        case .waiting:
            if calls[slot].id.isEmpty, let id { calls[slot].id = id }
            if calls[slot].name.isEmpty, let name { calls[slot].name = name }
            calls[slot].buffered += arguments
        case .closed:
            // Only whitespace can follow a whole JSON value; anything else would have been invalid anyway.
            break
        }
    }

    /// Opens waiting calls while nothing else needs the open slot: when no tool call is open, or the open call's
    /// arguments are already a whole JSON value.
    private mutating func advance(into out: inout [IREvent]) {
        while waitingCount > 0 {
            if case .tool(let slot) = open, !calls[slot].scanner.isComplete { return }
            guard let next = calls.firstIndex(where: { $0.state == .waiting }), !calls[next].name.isEmpty else {
                return
            }
            closeOpen(into: &out)
            openCall(next, into: &out)
        }
    }

    private mutating func openCall(_ slot: Int, into out: inout [IREvent]) {
        waitingCount -= 1
        let id = calls[slot].id.isEmpty ? "call_\(calls[slot].openAIIndex)" : calls[slot].id
        let index = startBlock(.toolCall(id: id, name: calls[slot].name), into: &out)
        calls[slot].state = .open
        calls[slot].block = index
        open = .tool(slot: slot)
        let buffered = calls[slot].buffered
        calls[slot].buffered = ""
        if !buffered.isEmpty {
            calls[slot].scanner.feed(buffered)
            out.append(.toolArgumentsDelta(index: index, buffered))
        }
    }

    private mutating func startBlock(_ kind: IRBlockKind, into out: inout [IREvent]) -> Int {
        let index = nextBlock
        nextBlock += 1
        out.append(.blockStart(index: index, kind))
        return index
    }

    private mutating func closeOpen(into out: inout [IREvent]) {
        guard let current = open else { return }
        switch current {
        case .text(let index), .reasoning(let index): out.append(.blockStop(index: index))
        case .tool(let slot):
            calls[slot].state = .closed
            out.append(.blockStop(index: calls[slot].block))
        }
        open = nil
    }

    /// Closes the open block, then opens and closes every waiting call in the order the calls started.
    private mutating func closeAll(into out: inout [IREvent]) {
        closeOpen(into: &out)
        guard waitingCount > 0 else { return }
        for slot in calls.indices where calls[slot].state == .waiting {
            openCall(slot, into: &out)
            closeOpen(into: &out)
        }
    }
}
