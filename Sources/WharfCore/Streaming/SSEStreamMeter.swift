/// Meters an OpenAI-style server-sent-event stream as it passes through, chunk by chunk.
///
/// A state machine with no I/O: feed it each chunk received from upstream with ``consume(_:)`` and send what it
/// returns to the client; call ``finish()`` when upstream ends. It
/// - reads the provider's `usage` wherever it appears (the usage-only chunk of chat completions, or the
///   `response.completed` event of the responses API);
/// - counts the bytes of text delivered to the client (for the estimator when a stream is cut);
/// - when `stripUsageChunk` is true (the gateway asked for usage, the client did not), removes the usage-only
///   chunk (`"choices":[]` with a `usage`) so the client sees exactly what it asked for.
///
/// Complete events are forwarded at once; only an incomplete event at the end of a chunk waits for its rest,
/// and only when stripping is on (otherwise bytes are forwarded as they arrive).
public struct SSEStreamMeter: Sendable {
    /// Whether usage-only chunks are removed.
    public let stripUsageChunk: Bool
    /// The provider's usage, once seen.
    public private(set) var usage: TokenUsage?
    /// Bytes of content text the client received.
    public private(set) var deliveredTextBytes = 0
    /// Whether the terminating `data: [DONE]` (or a `response.completed` event) was seen.
    public private(set) var sawDone = false
    /// Whether any data event was seen.
    public private(set) var sawData = false
    /// Bytes forwarded to the client so far.
    public private(set) var forwardedBytes = 0

    private var pending: [UInt8] = []

    /// Creates a meter.
    /// Bytes of `pending` already searched for an event end.
    private var scanned = 0
    /// Largest event held for inspection when the client gets the bytes unchanged anyway.
    static let maxEventBytes = 4 << 20

    public init(stripUsageChunk: Bool) {
        self.stripUsageChunk = stripUsageChunk
    }

    /// Takes one chunk from upstream and returns the bytes to send to the client now.
    public mutating func consume(_ chunk: [UInt8]) -> [UInt8] {
        pending.append(contentsOf: chunk)
        var out: [UInt8] = []
        var eventStart = 0
        // Bytes before `scanned` held no event end; look again only at the last two (a "\n\r\n" may straddle).
        var i = max(0, scanned - 2)
        let n = pending.count
        while i < n {
            // An event ends at a blank line: "\n\n" or "\r\n\r\n".
            if pending[i] == 0x0A {
                var end = -1
                if i + 1 < n, pending[i + 1] == 0x0A {
                    end = i + 2
                } else if i + 2 < n, pending[i + 1] == 0x0D, pending[i + 2] == 0x0A {
                    end = i + 3
                }
                if end > 0 {
                    let keep = inspect(event: pending[eventStart..<end])
                    if keep && stripUsageChunk { out.append(contentsOf: pending[eventStart..<end]) }
                    eventStart = end
                    i = end
                    continue
                }
            }
            i += 1
        }
        pending.removeFirst(eventStart)
        scanned = pending.count
        // An "event" without end that outgrows any real one is not inspected further (its bytes still go out).
        if pending.count > Self.maxEventBytes && !stripUsageChunk {
            pending.removeAll()
            scanned = 0
        }
        // Without stripping, every byte goes out as it arrives; `pending` only serves inspection.
        if !stripUsageChunk { out = chunk }
        forwardedBytes += out.count
        return out
    }

    /// Ends the stream; returns any bytes still held (an incomplete last event, forwarded as is).
    public mutating func finish() -> [UInt8] {
        defer { pending.removeAll() }
        guard !pending.isEmpty else { return [] }
        _ = inspect(event: pending[...])
        if stripUsageChunk {
            forwardedBytes += pending.count
            return pending
        }
        return []
    }

    /// The usage to bill: the provider's when it sent one, else `promptTokens` plus the estimate of the text
    /// delivered.
    public func billableUsage(estimatedPromptTokens: Int64) -> TokenUsage {
        if let usage { return usage }
        return TokenUsage(
            promptTokens: estimatedPromptTokens,
            completionTokens: TokenEstimator.deliveredTokens(bytes: deliveredTextBytes)
        )
    }

    /// Reads one complete event; returns false when it is a usage-only chunk to strip.
    private mutating func inspect(event: ArraySlice<UInt8>) -> Bool {
        var keep = true
        var lineStart = event.startIndex
        var idx = event.startIndex
        while idx <= event.endIndex {
            if idx == event.endIndex || event[idx] == 0x0A {
                var line = event[lineStart..<idx]
                if line.last == 0x0D { line = line.dropLast() }
                if line.starts(with: "data:".utf8) {
                    var payload = line.dropFirst(5)
                    if payload.first == 0x20 { payload = payload.dropFirst() }
                    if !inspect(data: payload) { keep = false }
                }
                lineStart = idx + 1
            }
            idx += 1
        }
        return keep
    }

    private static let doneMarker = Array("[DONE]".utf8)

    private mutating func inspect(data payload: ArraySlice<UInt8>) -> Bool {
        if payload.elementsEqual(Self.doneMarker) {
            sawDone = true
            return true
        }
        sawData = true
        let facts = payload.withUnsafeBufferPointer { SSEPayloadFacts($0) }
        // Responses-API events repeat the whole text in their `.done` and `response.completed` events: count
        // only the deltas there.
        if !facts.isResponsesEvent || facts.endsAStringInDelta {
            deliveredTextBytes += facts.textBytes
        }
        // A Responses-API event is read whenever it names usage (its `response.completed` ends the stream).
        guard facts.hasUsageObject || (facts.isResponsesEvent && facts.hasUsage) else { return true }
        let bytes = Array(payload)
        guard let top = try? JSONObjectScanner.lastMembers(named: ["type", "choices"], in: bytes).ranges
        else { return true }
        if let type = top[0], bytes[type].elementsEqual("\"response.completed\"".utf8) {
            sawDone = true
        }
        guard let found = UsageExtractor.usage(inBody: bytes) else { return true }
        usage = found
        if let choices = top[1] {
            let inner = bytes[choices].filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            if inner.elementsEqual("[]".utf8) { return false }
        }
        return true
    }

    /// Sums the lengths of the string values of text-bearing keys in one JSON payload (see ``SSEPayloadFacts``).
    public static func textBytes(in b: [UInt8]) -> Int {
        b.withUnsafeBufferPointer { SSEPayloadFacts($0).textBytes }
    }
}
