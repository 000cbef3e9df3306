/// Writes ``IREvent``s as one client dialect's stream bytes: a pure state machine, one per stream.
public protocol IRStreamEncoder: Sendable {
    /// Appends the client bytes of one IR event to `out`.
    mutating func encode(_ event: IREvent, into out: inout [UInt8])
    /// Upstream ended. When no `.end` (and no `.error`) was encoded, the stream was cut: write the client dialect's
    /// error frame (OpenAI: `data: {"error":{"message":"The upstream provider ended the stream before it was
    /// complete; the answer is truncated.","type":"server_error","code":"upstream_cut"}}\n\n`, no [DONE]; Anthropic:
    /// `event: error\ndata: {"type":"error","error":{"type":"api_error","message":"The upstream provider ended the
    /// stream before it was complete; the answer is truncated."}}\n\n`).
    mutating func finish(into out: inout [UInt8])
}
