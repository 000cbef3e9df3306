/// Reads a Gemini `streamGenerateContent?alt=sse` stream (one `GenerateContentResponse` per event, no terminal
/// event) into IR events.
///
/// - The first event makes `.start` (id: `responseId`, else `gen_<idSeed>`; its `usageMetadata` as the input known).
/// - Per part of the first candidate, in order: text goes to a text block, `thought:true` text to a reasoning block
///   (empty text makes no block); each `functionCall` is its own tool-call block with the id `call_<idSeed>_<n>`
///   (`n` counts calls across the whole stream, from 0) unless Gemini gave one, and one argument delta holding its
///   `args` as compact JSON; a `thoughtSignature` is a signature delta on the block open after its part.
/// - `usageMetadata` makes `.usage` (``UsageNormalizer/gemini(_:)``, the last one wins).
/// - `finishReason` makes `.finish`: `STOP` after a function call is `.toolUse`, the safety reasons `.refusal`,
///   `MAX_TOKENS` `.maxTokens`; a prompt `blockReason` makes `.finish(.refusal)` with no content.
/// - Gemini has no terminal event: ``finish()`` makes `.end` when a finish reason (or block reason) was seen, the one
///   decoder whose `finish()` may do so. An `{"error":{…}}` event makes `.error`, after which nothing more is read.
public struct GeminiStreamDecoder: IRStreamDecoder {
    private enum Kind { case text, reasoning, tool }

    /// The caller's seed for the ids this stream makes up.
    public let idSeed: String
    private var started = false
    private var done = false
    private var finished = false
    private var sawCall = false
    private var calls = 0
    private var nextBlock = 0
    private var open: (block: Int, kind: Kind)?

    /// Creates a decoder for one stream; `idSeed` makes its ids (`gen_<idSeed>`, `call_<idSeed>_<n>`) stable and
    /// distinct from other streams'.
    public init(idSeed: String) {
        self.idSeed = idSeed
    }

    /// The IR events of one upstream event.
    public mutating func decode(_ event: SSEEvent) -> [IREvent] {
        var out: [IREvent] = []
        guard !done, let object = try? JSONValue.parse(event.data), object.isObject else { return out }
        if let error = object["error"], !error.isNull {
            out.append(.error(StreamWire.streamError(error.isObject ? error : nil)))
            done = true
            return out
        }
        let usage = object["usageMetadata"].flatMap(UsageNormalizer.gemini)
        if !started {
            started = true
            let id = object["responseId"]?.nonEmptyString ?? "gen_\(idSeed)"
            out.append(.start(id: id, model: object["modelVersion"]?.string ?? "", usage: usage))
        }
        let candidate = object["candidates"]?.array?.first
        if let parts = candidate?["content"]?["parts"]?.array {
            for part in parts { read(part, into: &out) }
        }
        if let usage { out.append(.usage(usage)) }
        if let reason = candidate?["finishReason"]?.nonEmptyString {
            closeOpen(into: &out)
            finished = true
            out.append(.finish(FinishReasonMap.fromGemini(reason, sawToolCall: sawCall), stopSequence: nil))
        } else if object["promptFeedback"]?["blockReason"]?.nonEmptyString != nil {
            closeOpen(into: &out)
            finished = true
            out.append(.finish(.refusal, stopSequence: nil))
        }
        return out
    }

    /// Upstream ended: closes any open block (see the type's notes for `.end`).
    public mutating func finish() -> [IREvent] {
        var out: [IREvent] = []
        guard !done else { return out }
        done = true
        closeOpen(into: &out)
        if finished { out.append(.end) }
        return out
    }

    private mutating func read(_ part: JSONValue, into out: inout [IREvent]) {
        if let call = part["functionCall"], call.isObject {
            closeOpen(into: &out)
            let id = call["id"]?.nonEmptyString ?? "call_\(idSeed)_\(calls)"
            calls += 1
            sawCall = true
            let index = startBlock(.toolCall(id: id, name: call["name"]?.string ?? ""), kind: .tool, into: &out)
            let arguments = call["args"].map { $0.isObject ? $0.encodedString : "{}" } ?? "{}"
            out.append(.toolArgumentsDelta(index: index, arguments))
        } else if let text = part["text"]?.nonEmptyString {
            let kind: Kind = part["thought"]?.bool == true ? .reasoning : .text
            let index: Int
            if let current = open, current.kind == kind {
                index = current.block
            } else {
                closeOpen(into: &out)
                index = startBlock(kind == .text ? .text : .reasoning, kind: kind, into: &out)
            }
            out.append(kind == .text ? .textDelta(index: index, text) : .reasoningDelta(index: index, text))
        }
        if let signature = part["thoughtSignature"]?.nonEmptyString, let current = open {
            out.append(.signatureDelta(index: current.block, signature))
        }
    }

    private mutating func startBlock(_ blockKind: IRBlockKind, kind: Kind, into out: inout [IREvent]) -> Int {
        let index = nextBlock
        nextBlock += 1
        open = (index, kind)
        out.append(.blockStart(index: index, blockKind))
        return index
    }

    private mutating func closeOpen(into out: inout [IREvent]) {
        guard let current = open else { return }
        out.append(.blockStop(index: current.block))
        open = nil
    }
}
