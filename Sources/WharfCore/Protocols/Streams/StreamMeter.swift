/// Same-dialect pass-through metering (bytes are forwarded unchanged by the caller): usage, text, terminal event.
///
/// Reads the stream with the dialect's ``IRStreamDecoder``, so usage is normalised exactly as when translating:
/// Anthropic's `message_start` and cumulative `message_delta` are laid over each other, never added; Gemini's output
/// counts thoughts; the last snapshot wins.
public struct StreamMeter: Sendable, CustomStringConvertible {
    /// The stream's dialect.
    public let dialect: Dialect
    /// What the stream is billed from: usage, text size, how it ended (see ``StreamMetering``).
    public private(set) var metering: StreamMetering
    /// An event outgrew the bound: nothing more is read, and the stream must end.
    public var overflowed: Bool { reader.overflowed }

    private var reader: SSEEventReader
    private var decoder: AnyIRStreamDecoder

    /// Creates the meter of one stream.
    public init(dialect: Dialect, maxEventBytes: Int = 8 << 20) {
        self.dialect = dialect
        metering = StreamMetering(upstream: dialect)
        reader = SSEEventReader(maxEventBytes: maxEventBytes)
        decoder = AnyIRStreamDecoder(dialect: dialect, idSeed: "meter")
    }

    /// The dialect and the metering only (the stream is model output).
    public var description: String {
        "StreamMeter(\(dialect.rawValue), \(metering.summary), overflowed: \(overflowed))"
    }

    /// Takes the next bytes of the stream (which the caller forwards unchanged).
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        for event in reader.feed(bytes) {
            for ir in decoder.decode(event) { metering.observe(ir) }
        }
    }

    /// The same over an array.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { feed($0) }
    }

    /// The stream ended.
    public mutating func finish() {
        for event in reader.finish() {
            for ir in decoder.decode(event) { metering.observe(ir) }
        }
        for ir in decoder.finish() { metering.observe(ir) }
    }

    /// The usage to bill (``StreamMetering/billableUsage(estimatedPromptTokens:)``).
    public func billableUsage(estimatedPromptTokens: Int64) -> TokenUsage {
        metering.billableUsage(estimatedPromptTokens: estimatedPromptTokens)
    }
}
