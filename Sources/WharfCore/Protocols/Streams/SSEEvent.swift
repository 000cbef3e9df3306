/// One server-sent event: its `event:` field (nil when absent) and its data lines joined by LF.
///
/// The data is model output: `description` shows its length only.
public struct SSEEvent: Sendable, Equatable, CustomStringConvertible {
    /// The `event:` field, nil when the event had none.
    public var event: String?
    /// The `data:` lines, joined by LF (no trailing LF).
    public var data: [UInt8]

    /// Creates an event.
    public init(event: String?, data: [UInt8]) {
        self.event = event
        self.data = data
    }

    /// Creates an event from text (tests and fixtures).
    public init(event: String? = nil, text: String) {
        self.init(event: event, data: Array(text.utf8))
    }

    /// The event type and the data length only (the data is model output).
    public var description: String {
        "SSEEvent(event: \(event ?? "nil"), data: [REDACTED len=\(data.count)])"
    }
}
