/// The time limits of one client connection, as pure logic: the connection reports what happens (times in
/// milliseconds of a monotonic clock) and asks, when its check fires, whether a limit has passed.
///
/// - idle: no byte of a next request for `idle` after the last answer (or the connection's start);
/// - head: a request head not complete `head` after its first byte;
/// - body: a request body not complete `body` after its head (a whole-body limit, so a byte now and then does not
///   keep it open);
/// - stall: an answer the client does not read (its socket not writable) for `stall`.
public struct ClientDeadlines: Sendable, Equatable {
    /// The limits, in milliseconds.
    public struct Limits: Sendable, Equatable {
        public var idle: Int64
        public var head: Int64
        public var body: Int64
        public var stall: Int64

        public init(idle: Int64, head: Int64, body: Int64, stall: Int64) {
            self.idle = idle
            self.head = head
            self.body = body
            self.stall = stall
        }
    }

    /// Which limit passed.
    public enum Expired: String, Sendable, Equatable {
        case idle, head, body, stall
    }

    public let limits: Limits
    private var idleSince: Int64?
    private var headSince: Int64?
    private var bodySince: Int64?
    private var stalledSince: Int64?

    /// A connection that opened at `now`.
    public init(limits: Limits, openedAt now: Int64) {
        self.limits = limits
        idleSince = now
    }

    /// Bytes arrived: the first byte of a head starts its clock (bytes of a body being read do not).
    public mutating func bytesArrived(at now: Int64) {
        if headSince == nil && bodySince == nil { headSince = now }
    }

    /// A request head was taken up: its body's clock starts.
    public mutating func headTaken(at now: Int64) {
        headSince = nil
        idleSince = nil
        bodySince = now
    }

    /// The request's body is complete.
    public mutating func bodyEnded() { bodySince = nil }

    /// Every answer is written and nothing waits: the connection is idle.
    public mutating func becameIdle(at now: Int64) { idleSince = now }

    /// The client's socket stopped (or resumed) taking bytes.
    public mutating func writable(_ writable: Bool, at now: Int64) {
        if writable {
            stalledSince = nil
        } else if stalledSince == nil {
            stalledSince = now
        }
    }

    /// The limit that has passed at `now`, if any; else the milliseconds until the next one could (nil when no clock
    /// runs).
    public func check(at now: Int64) -> (expired: Expired?, nextIn: Int64?) {
        var next: Int64?
        func test(_ since: Int64?, _ limit: Int64) -> Bool {
            guard let since, limit > 0 else { return false }
            let left = since + limit - now
            if left <= 0 { return true }
            next = min(next ?? left, left)
            return false
        }
        if test(stalledSince, limits.stall) { return (.stall, nil) }
        if test(bodySince, limits.body) { return (.body, nil) }
        if test(headSince, limits.head) { return (.head, nil) }
        if headSince == nil && test(idleSince, limits.idle) { return (.idle, nil) }
        return (nil, next)
    }
}
