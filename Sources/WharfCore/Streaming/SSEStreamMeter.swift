/// Meters an OpenAI-style server-sent-event stream as it passes through, chunk by chunk.
///
/// A state machine with no I/O: feed it each chunk received from upstream with ``consume(_:into:)`` and send what it
/// gives (or, when not stripping, the chunk itself) to the client; call ``finish()`` when upstream ends. It
/// - splits the stream into events as the SSE standard does: lines end in CRLF, LF or a lone CR, in any mix, and an
///   event ends at a blank line; a line may arrive in any number of pieces;
/// - reads each event's data with a real JSON reading (``JSONPayloadReader``), so any valid formatting, escapes and
///   key order give the same figures;
/// - takes the provider's `usage` wherever it appears (the usage chunk of chat completions, `response.completed`
///   of the Responses API), the last one winning;
/// - counts the decoded bytes of all text the upstream produced, in every choice, reasoning and tool-call arguments
///   included (Responses-API events count only their deltas), for the estimate when no usage arrives; a data payload
///   that is not JSON counts whole;
/// - when `stripUsageChunk` is true (the gateway asked for usage, the client did not), removes the usage-only chunk
///   (`"choices":[]` with a `usage` object) so the client sees exactly what it asked for. Events are then forwarded
///   once complete; otherwise bytes are forwarded as they arrive.
///
/// Bound: an event (its unfinished line, its data and, when stripping, its raw bytes) may hold at most
/// `maxEventBytes`. Past that the meter stops (``overflowed``), counts the held data as text, and the stream must end.
public struct SSEStreamMeter: Sendable {
    /// Whether usage-only chunks are removed.
    public let stripUsageChunk: Bool
    /// The most one event may hold.
    public let maxEventBytes: Int
    /// The provider's usage, once seen.
    public private(set) var usage: TokenUsage?
    /// Decoded bytes of generated text seen in the stream (delivered to the client or not).
    public private(set) var textBytes = 0
    /// Whether the terminating `data: [DONE]` (or a terminal Responses-API event) was seen.
    public private(set) var sawDone = false
    /// Whether any data event was seen.
    public private(set) var sawData = false
    /// Bytes for the client so far: the chunks taken (kept events and the held tail, when stripping).
    public private(set) var forwardedBytes = 0
    /// An event outgrew `maxEventBytes`: nothing more is read, and the stream must be ended.
    public private(set) var overflowed = false

    /// The current line, when it spans chunks.
    private var line: [UInt8] = []
    /// The last byte of the previous chunk was a CR: an LF starting this one belongs to it.
    private var afterCR = false
    /// That CR ended an event: whether the event was kept (its LF goes out with it) or stripped (dropped with it).
    private var crEndedEvent: Bool?
    /// The data lines of the current event, joined by LF.
    private var data: [UInt8] = []
    private var hasData = false
    /// Raw bytes of the current event held from earlier chunks (stripping mode only).
    private var raw: [UInt8] = []

    /// Default bound of one event.
    public static let defaultMaxEventBytes = 8 << 20

    /// Creates a meter.
    public init(stripUsageChunk: Bool, maxEventBytes: Int = SSEStreamMeter.defaultMaxEventBytes) {
        self.stripUsageChunk = stripUsageChunk
        self.maxEventBytes = maxEventBytes
    }

    /// Takes one chunk from upstream. When stripping, appends to `out` the bytes to send now; otherwise the chunk is
    /// to be sent as it is and `out` is left alone.
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard !overflowed else { return }
        let n = chunk.count
        if !stripUsageChunk { forwardedBytes += n }
        var i = 0
        // Start of the raw bytes of the current event within this chunk.
        var rawStart = 0
        if afterCR && n > 0 && chunk[0] == 0x0A {
            i = 1
            if let kept = crEndedEvent {
                // The LF of the CRLF that ended the last event: it goes (or went away) with that event.
                rawStart = 1
                if kept && stripUsageChunk {
                    out.append(0x0A)
                    forwardedBytes += 1
                }
            }
        }
        if n > 0 {
            afterCR = false
            crEndedEvent = nil
        }
        var lineStart = i
        while i < n {
            let c = chunk[i]
            guard c == 0x0A || c == 0x0D else {
                i += 1
                continue
            }
            let ended = lineEnded(UnsafeBufferPointer(rebasing: chunk[lineStart..<i]))
            if c == 0x0D {
                if i + 1 < n {
                    i += chunk[i + 1] == 0x0A ? 2 : 1
                } else {
                    afterCR = true
                    crEndedEvent = ended
                    i += 1
                }
            } else {
                i += 1
            }
            lineStart = i
            if let keep = ended, stripUsageChunk {
                if keep {
                    out.append(contentsOf: raw)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[rawStart..<i]))
                    forwardedBytes += raw.count + (i - rawStart)
                }
                raw.removeAll(keepingCapacity: true)
                rawStart = i
            }
        }
        if lineStart < n { line.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[lineStart..<n])) }
        if stripUsageChunk && rawStart < n {
            raw.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[rawStart..<n]))
        }
        if line.count + data.count + raw.count > maxEventBytes {
            overflowed = true
            textBytes += data.count + line.count
            line = []
            data = []
            raw = []
        }
    }

    /// The same over an array, returning what to send: the kept events when stripping, else the chunk itself.
    public mutating func consume(_ chunk: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        chunk.withUnsafeBufferPointer { consume($0, into: &out) }
        return stripUsageChunk ? out : (overflowed ? [] : chunk)
    }

    /// Ends the stream: reads an unfinished last event for its figures, and returns any bytes still held for the
    /// client (stripping mode: the unfinished event as it came).
    public mutating func finish() -> [UInt8] {
        guard !overflowed else { return [] }
        var keep = true
        if !line.isEmpty { _ = lineEnded(UnsafeBufferPointer(start: nil, count: 0)) }
        if hasData { keep = dispatch(unfinished: true) }
        let tail = stripUsageChunk && keep ? raw : []
        raw = []
        forwardedBytes += tail.count
        return tail
    }

    /// The usage to bill: the provider's when it sent one, else `estimatedPromptTokens` plus the estimate of all the
    /// text seen.
    public func billableUsage(estimatedPromptTokens: Int64) -> TokenUsage {
        if let usage { return usage }
        return TokenUsage(
            promptTokens: estimatedPromptTokens, completionTokens: TokenEstimator.outputTokens(textBytes: textBytes))
    }

    /// A line ended; `piece` is its part in the current chunk (after any part held from earlier chunks). Returns
    /// whether an event ended with it, and if so whether the event is kept.
    private mutating func lineEnded(_ piece: UnsafeBufferPointer<UInt8>) -> Bool? {
        if line.isEmpty { return field(piece) }
        line.append(contentsOf: piece)
        // Read the held line in place: swapped out (no copy), emptied, swapped back to keep its storage.
        var whole: [UInt8] = []
        swap(&whole, &line)
        defer {
            whole.removeAll(keepingCapacity: true)
            swap(&whole, &line)
        }
        return whole.withUnsafeBufferPointer { field($0) }
    }

    /// One whole line: a blank line ends the event; a `data` field adds to its data; other fields and comments
    /// are not metered.
    private mutating func field(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        if text.isEmpty {
            guard hasData else {
                data.removeAll(keepingCapacity: true)
                return true
            }
            return dispatch()
        }
        guard text.count >= 4, text[0] == UInt8(ascii: "d"), text[1] == UInt8(ascii: "a"),
            text[2] == UInt8(ascii: "t"), text[3] == UInt8(ascii: "a")
        else { return nil }
        var start = 4
        if text.count > 4 {
            guard text[4] == UInt8(ascii: ":") else { return nil }
            start = 5
            if start < text.count && text[start] == 0x20 { start += 1 }
        }
        if hasData { data.append(0x0A) }
        hasData = true
        data.append(contentsOf: UnsafeBufferPointer(rebasing: text[start...]))
        return nil
    }

    /// The current event is complete (or, `unfinished`, the stream ended inside it): read its data. Returns false
    /// when it is a usage-only chunk to strip.
    private mutating func dispatch(unfinished: Bool = false) -> Bool {
        hasData = false
        // Read in place: swapped out (no copy), emptied, swapped back to keep its storage for the next event.
        var payload: [UInt8] = []
        swap(&payload, &data)
        defer {
            payload.removeAll(keepingCapacity: true)
            swap(&payload, &data)
        }
        return payload.withUnsafeBufferPointer { inspect($0, unfinished: unfinished) }
    }

    private mutating func inspect(_ payload: UnsafeBufferPointer<UInt8>, unfinished: Bool) -> Bool {
        if payload.count == 6 && JSONObjectScanner.sameBytes(payload, "[DONE]") {
            sawDone = true
            return true
        }
        sawData = true
        guard let facts = try? JSONPayloadReader.read(payload) else {
            // A whole event that is not JSON: whatever it is, the upstream produced it. Of the broken-off last event
            // of a cut stream, the text before the break counts.
            textBytes += unfinished ? JSONPayloadReader.textBytes(inPrefix: payload) ?? 0 : payload.count
            // Its usage still counts, read leniently (an echoed tool schema nested too deep, say).
            if let found = (try? UsageExtractor.usage(inBody: payload)) ?? nil { usage = found }
            return true
        }
        if let type = facts.responsesType {
            if facts.isResponsesDelta { textBytes += facts.textBytes }
            if type == "response.completed" || type == "response.incomplete" || type == "response.failed" {
                sawDone = true
            }
        } else {
            textBytes += facts.textBytes
        }
        guard let range = facts.usage,
            let found = UsageExtractor.decode(UnsafeBufferPointer(rebasing: payload[range]))
        else { return true }
        usage = found
        return !(facts.choicesEmpty && stripUsageChunk)
    }

    /// The decoded bytes of generated text in a non-streamed JSON answer, whole or read in part (the text before the
    /// cut); bytes that are not JSON count whole.
    public static func textBytes(inBody bytes: UnsafeBufferPointer<UInt8>) -> Int {
        JSONPayloadReader.textBytes(inPrefix: bytes) ?? bytes.count
    }

    /// The same, over an array.
    public static func textBytes(in bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { textBytes(inBody: $0) }
    }
}
