/// Upstream bytes of one dialect in, client bytes of another out, plus the metering the relay bills from.
///
/// One value per stream (no state is shared between streams): an ``SSEEventReader``, the upstream dialect's
/// ``IRStreamDecoder`` and the client dialect's ``IRStreamEncoder`` in a row. Feed it each upstream chunk and send
/// what it returns; at the end of the upstream body call ``finish()`` and send that too (when the upstream never sent
/// its terminal event, that is the client dialect's error frame saying the answer is truncated). A Gemini client is
/// served the OpenAI chat dialect (Wharf has no Gemini inbound).
public struct StreamTranslator: Sendable, CustomStringConvertible {
    /// The upstream's dialect.
    public let upstream: Dialect
    /// The client's dialect.
    public let client: Dialect
    /// What the stream is billed from: usage, text size, how it ended (see ``StreamMetering``).
    public private(set) var metering: StreamMetering
    /// An event outgrew the bound: nothing more is read, and the stream must end.
    public var overflowed: Bool { reader.overflowed }

    private var reader: SSEEventReader
    private var decoder: AnyIRStreamDecoder
    private var encoder: AnyIRStreamEncoder

    /// Creates the translator of one stream. `id`, `model` and `created` are what the client is shown (the gateway's
    /// id, the public model name, Unix seconds); `id` also seeds the tool-call ids made up for a Gemini upstream.
    /// `includeUsage` is the OpenAI client's `stream_options.include_usage`; `estimatedInputTokens` is the local
    /// prompt estimate an Anthropic client's `message_start` shows when the upstream reports no input there.
    public init(
        from upstream: Dialect, to client: Dialect, id: String, model: String, created: Int64,
        includeUsage: Bool, estimatedInputTokens: Int64, maxEventBytes: Int = 8 << 20
    ) {
        self.upstream = upstream
        self.client = client
        metering = StreamMetering(upstream: upstream)
        reader = SSEEventReader(maxEventBytes: maxEventBytes)
        decoder = AnyIRStreamDecoder(dialect: upstream, idSeed: id)
        encoder = AnyIRStreamEncoder(
            dialect: client, id: id, model: model, created: created, includeUsage: includeUsage,
            estimatedInputTokens: estimatedInputTokens)
    }

    /// The dialects and the metering only (the stream is model output).
    public var description: String {
        "StreamTranslator(\(upstream.rawValue) -> \(client.rawValue), \(metering.summary), overflowed: \(overflowed))"
    }

    /// Takes the next upstream bytes and returns the client bytes they complete.
    public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        for event in reader.feed(bytes) {
            for ir in decoder.decode(event) { take(ir, into: &out) }
        }
        return out
    }

    /// The upstream events completed by `bytes`, not yet translated: with ``translate(_:into:)``, a caller can send
    /// the first client event as soon as it is made, before the rest of a large read is translated.
    public mutating func events(in bytes: UnsafeBufferPointer<UInt8>) -> [SSEEvent] {
        reader.feed(bytes)
    }

    /// Appends the client bytes of one upstream event to `out`.
    public mutating func translate(_ event: SSEEvent, into out: inout [UInt8]) {
        for ir in decoder.decode(event) { take(ir, into: &out) }
    }

    /// The same over an array.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { feed($0) }
    }

    /// The upstream body ended: returns the last client bytes.
    public mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        for event in reader.finish() {
            for ir in decoder.decode(event) { take(ir, into: &out) }
        }
        for ir in decoder.finish() { take(ir, into: &out) }
        encoder.finish(into: &out)
        return out
    }

    /// The usage to bill (``StreamMetering/billableUsage(estimatedPromptTokens:)``).
    public func billableUsage(estimatedPromptTokens: Int64) -> TokenUsage {
        metering.billableUsage(estimatedPromptTokens: estimatedPromptTokens)
    }

    private mutating func take(_ event: IREvent, into out: inout [UInt8]) {
        metering.observe(event)
        encoder.encode(event, into: &out)
    }
}
