/// What the relay bills a stream from, gathered from the upstream's IR events: the last usage snapshot, whether a
/// usage report came after the start, the generated text's size, and how the stream ended. One per stream, shared by
/// ``StreamMeter`` (same dialect) and ``StreamTranslator`` (another dialect), so both bill by the same rules.
public struct StreamMetering: Sendable, Equatable {
    /// The upstream's dialect.
    public let upstream: Dialect
    /// Last usage snapshot seen (normalised), nil if none.
    public private(set) var usage: TokenUsage?
    /// A usage report came after the start (OpenAI's usage chunk, Gemini's `usageMetadata`, Anthropic's
    /// `message_delta` with more output than `message_start`'s placeholder): without one, the output is not known.
    public private(set) var sawUsageReport = false
    /// Decoded bytes of generated text seen (text, reasoning, tool arguments), for the estimate when no usage came.
    public private(set) var textBytes = 0
    /// The upstream's own terminal event was seen (for Gemini: a finish reason, known at the end).
    public private(set) var sawEnd = false
    /// The upstream reported an error inside the stream.
    public private(set) var sawError = false
    /// The output `message_start` reported (a placeholder).
    private var startOutput: Int64 = 0

    /// Metering for a stream in `upstream`'s dialect.
    public init(upstream: Dialect) { self.upstream = upstream }

    /// Takes one IR event of the upstream's stream.
    public mutating func observe(_ event: IREvent) {
        switch event {
        case .start(_, _, let snapshot):
            if let snapshot {
                usage = snapshot
                startOutput = snapshot.completionTokens
            }
        case .usage(let snapshot):
            usage = snapshot
            if upstream != .anthropicMessages || snapshot.completionTokens > startOutput { sawUsageReport = true }
        case .textDelta(_, let text), .reasoningDelta(_, let text), .toolArgumentsDelta(_, let text):
            textBytes += text.utf8.count
        case .end: sawEnd = true
        case .error: sawError = true
        default: break
        }
    }

    /// The usage to bill (the billing policy for streams). The upstream's last snapshot when it is final: the stream
    /// ended as its protocol ends it, with a usage report after the start. Otherwise the snapshot may be partial
    /// (Anthropic's `message_start` counts the input and one output token, and a stream cut before `message_delta`,
    /// or a server that sends no usage there, never says more): its input counts, and its output is at least the
    /// estimate of all the text produced. No snapshot at all: `estimatedPromptTokens` plus that estimate.
    public func billableUsage(estimatedPromptTokens: Int64) -> TokenUsage {
        let produced = TokenEstimator.outputTokens(textBytes: textBytes)
        guard var usage else { return TokenUsage(promptTokens: estimatedPromptTokens, completionTokens: produced) }
        if !(sawEnd && sawUsageReport) { usage.completionTokens = max(usage.completionTokens, produced) }
        return usage
    }

    /// How the stream ended, for the request log: `client_disconnected`, `upstream_error` (an error event),
    /// `upstream_cut` (an event over the bound, or no terminal event) or `ok`.
    public func status(clientLeft: Bool, overflowed: Bool) -> String {
        if clientLeft { return "client_disconnected" }
        if sawError { return "upstream_error" }
        return overflowed || !sawEnd ? "upstream_cut" : "ok"
    }

    /// The metering only (the stream is model output).
    var summary: String {
        "usage: \(String(describing: usage)), textBytes: \(textBytes), sawEnd: \(sawEnd), sawError: \(sawError)"
    }
}
