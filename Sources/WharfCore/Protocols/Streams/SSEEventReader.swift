/// Splits bytes into SSE events exactly as the SSE standard does (lines end in CRLF, LF or lone CR in any mix, even a
/// CR at the end of one chunk and its LF at the start of the next; an event ends at a blank line; `data:` with or
/// without one leading space; comments `:` and other fields ignored; a line may arrive in any number of pieces).
///
/// A pure state machine: feed it each chunk as it comes, call ``finish()`` at the end of input. Lines wholly inside
/// a chunk are read in place; only a line split across chunks is copied. A leading UTF-8 byte order mark is skipped.
///
/// Bound: one event (pending line + data) at most `maxEventBytes`; past it ``overflowed`` is set and nothing more is
/// read.
public struct SSEEventReader: Sendable, CustomStringConvertible {
    /// The most one event (its unfinished line and its data) may hold.
    public let maxEventBytes: Int
    /// An event outgrew `maxEventBytes`: nothing more is read.
    public private(set) var overflowed = false

    /// The current line, when it spans chunks.
    private var line: [UInt8] = []
    /// The last byte of the previous chunk was a CR: an LF starting the next one belongs to it.
    private var afterCR = false
    /// No line has ended yet (a byte order mark may start the first one).
    private var firstLine = true
    /// The current event's `event:` field.
    private var eventType: String?
    /// The current event's data lines, joined by LF.
    private var data: [UInt8] = []
    /// Whether the current event has a `data` field (its data may still be empty).
    private var hasData = false

    /// Creates a reader.
    public init(maxEventBytes: Int = 8 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// The sizes held only (the held bytes are model output).
    public var description: String {
        "SSEEventReader(line: [REDACTED len=\(line.count)], data: [REDACTED len=\(data.count)], overflowed: \(overflowed))"
    }

    /// Takes the next bytes of the stream and returns the events they complete, in order.
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        guard !overflowed, bytes.count > 0 else { return events }
        let n = bytes.count
        var i = 0
        if afterCR {
            afterCR = false
            if bytes[0] == 0x0A { i = 1 }
        }
        var lineStart = i
        while i < n {
            let c = bytes[i]
            guard c == 0x0A || c == 0x0D else {
                i += 1
                continue
            }
            lineEnded(UnsafeBufferPointer(rebasing: bytes[lineStart..<i]), into: &events)
            if c == 0x0D {
                if i + 1 < n {
                    i += bytes[i + 1] == 0x0A ? 2 : 1
                } else {
                    afterCR = true
                    i += 1
                }
            } else {
                i += 1
            }
            lineStart = i
            if overflowed { return events }
        }
        if lineStart < n { line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<n])) }
        checkBound()
        return events
    }

    /// The same over an array.
    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        bytes.withUnsafeBufferPointer { feed($0) }
    }

    /// End of input: an unfinished event with data is dispatched.
    public mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        guard !overflowed else { return events }
        if !line.isEmpty { lineEnded(UnsafeBufferPointer(start: nil, count: 0), into: &events) }
        if hasData { dispatch(into: &events) }
        eventType = nil
        afterCR = false
        return events
    }

    private mutating func checkBound() {
        if line.count + data.count > maxEventBytes {
            overflowed = true
            line = []
            data = []
            hasData = false
            eventType = nil
        }
    }

    /// A line ended; `piece` is its part in the current chunk (after any part held from earlier chunks).
    private mutating func lineEnded(_ piece: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) {
        if line.isEmpty {
            field(piece, into: &events)
        } else {
            line.append(contentsOf: piece)
            checkBound()
            if overflowed { return }
            // Read the held line in place: swapped out (no copy), emptied, swapped back to keep its storage.
            var whole: [UInt8] = []
            swap(&whole, &line)
            whole.withUnsafeBufferPointer { field($0, into: &events) }
            whole.removeAll(keepingCapacity: true)
            swap(&whole, &line)
        }
        checkBound()
    }

    /// One whole line.
    private mutating func field(_ whole: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) {
        var text = whole
        if firstLine {
            firstLine = false
            if text.count >= 3, text[0] == 0xEF, text[1] == 0xBB, text[2] == 0xBF {
                text = UnsafeBufferPointer(rebasing: text[3...])
            }
        }
        if text.isEmpty {
            if hasData {
                dispatch(into: &events)
            } else {
                eventType = nil
            }
            return
        }
        if text[0] == UInt8(ascii: ":") { return }
        // The field name runs to the first colon (or the whole line); one space after the colon is dropped.
        var colon = 0
        while colon < text.count, text[colon] != UInt8(ascii: ":") { colon += 1 }
        var valueStart = colon
        if colon < text.count {
            valueStart = colon + 1
            if valueStart < text.count, text[valueStart] == 0x20 { valueStart += 1 }
        }
        let value = UnsafeBufferPointer(rebasing: text[valueStart...])
        if Self.isName(text, colon, "data") {
            if hasData { data.append(0x0A) }
            hasData = true
            data.append(contentsOf: value)
        } else if Self.isName(text, colon, "event") {
            eventType = String(decoding: value, as: UTF8.self)
        }
    }

    private static func isName(_ text: UnsafeBufferPointer<UInt8>, _ length: Int, _ name: StaticString) -> Bool {
        guard length == name.utf8CodeUnitCount else { return false }
        let bytes = name.utf8Start
        for k in 0..<length where text[k] != bytes[k] { return false }
        return true
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        events.append(SSEEvent(event: eventType, data: data))
        data = []
        hasData = false
        eventType = nil
    }
}
