/// Reads one upstream dialect's stream, event by event, into ``IREvent``s: a pure state machine, one per stream.
///
/// Every decoder numbers blocks densely from 0 in the order they start and keeps at most one block open at a time
/// (it closes the open block before it opens another).
public protocol IRStreamDecoder: Sendable {
    /// The IR events of one upstream event.
    mutating func decode(_ event: SSEEvent) -> [IREvent]
    /// Upstream ended: close any open block. Does NOT invent `.end` (only the protocol's own terminal event makes
    /// .end).
    mutating func finish() -> [IREvent]
}
