/// Same-dialect pass-through metering (bytes are forwarded unchanged by the caller): usage, text, terminal event.
///
/// Reads the stream with the dialect's ``IRStreamDecoder``, so usage is normalised exactly as when translating:
/// Anthropic's `message_start` and cumulative `message_delta` are laid over each other, never added; Gemini's output
/// counts thoughts; the last snapshot wins.
public struct StreamMeter: Sendable, CustomStringConvertible {
    /// The stream's dialect.
    public let dialect: Dialect
    /// Last usage snapshot seen (normalised), nil if none.
    public private(set) var usage: TokenUsage?
    /// A usage report came after the start (OpenAI's usage chunk, Gemini's `usageMetadata`, Anthropic's
    /// `message_delta` with more output than `message_start`'s placeholder): without one, the output is not known.
    public private(set) var sawUsageReport = false
    /// The output `message_start` reported (a placeholder).
    private var startOutput: Int64 = 0
    /// Decoded bytes of generated text seen (text, reasoning, tool arguments) — for the estimate when no usage came.
    public private(set) var textBytes = 0
    /// The upstream's own terminal event was seen (for Gemini: a finish reason, known at ``finish()``).
    public private(set) var sawEnd = false
    /// The upstream reported an error inside the stream.
    public private(set) var sawError = false
    /// An event outgrew the bound: nothing more is read, and the stream must end.
    public var overflowed: Bool { reader.overflowed }

    private var reader: SSEEventReader
    private var decoder: AnyIRStreamDecoder

    /// Creates the meter of one stream.
    public init(dialect: Dialect, maxEventBytes: Int = 8 << 20) {
        self.dialect = dialect
        reader = SSEEventReader(maxEventBytes: maxEventBytes)
        decoder = AnyIRStreamDecoder(dialect: dialect, idSeed: "meter")
    }

    /// The dialect and the metering only (the stream is model output).
    public var description: String {
        "StreamMeter(\(dialect.rawValue), usage: \(String(describing: usage)), textBytes: \(textBytes), "
            + "sawEnd: \(sawEnd), sawError: \(sawError), overflowed: \(overflowed))"
    }

    /// Takes the next bytes of the stream (which the caller forwards unchanged).
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        for event in reader.feed(bytes) {
            for ir in decoder.decode(event) { take(ir) }
        }
    }

    /// The same over an array.
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { feed($0) }
    }

    /// The stream ended.
    public mutating func finish() {
        for event in reader.finish() {
            for ir in decoder.decode(event) { take(ir) }
        }
        for ir in decoder.finish() { take(ir) }
    }

    /// The usage to bill: the upstream's when it sent one, else `estimatedPromptTokens` plus the estimate of the
    /// text seen.
    public func billableUsage(estimatedPromptTokens: Int64) -> TokenUsage {
        usage
            ?? TokenUsage(
                promptTokens: estimatedPromptTokens, completionTokens: TokenEstimator.outputTokens(textBytes: textBytes)
            )
    }

    private mutating func take(_ event: IREvent) {
        switch event {
        case .start(_, _, let snapshot):
            if let snapshot {
                usage = snapshot
                startOutput = snapshot.completionTokens
            }
        case .usage(let snapshot):
            usage = snapshot
            if dialect != .anthropicMessages || snapshot.completionTokens > startOutput { sawUsageReport = true }
        case .textDelta(_, let text), .reasoningDelta(_, let text), .toolArgumentsDelta(_, let text):
            textBytes += text.utf8.count
        case .end: sawEnd = true
        case .error: sawError = true
        default: break
        }
    }
}
