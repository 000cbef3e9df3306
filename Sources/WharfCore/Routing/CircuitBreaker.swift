/// A per-channel circuit breaker as a pure state machine. Times are monotonic milliseconds, given by the caller.
///
/// Closed: requests flow; `failureThreshold` consecutive failures open it. Open: no request until `cooldownMillis`
/// passed; then the next request is let through as the single probe (half-open). A successful probe closes the
/// circuit, a failed one opens it again for another cool-down.
public struct CircuitBreaker: Sendable, Equatable {
    /// The breaker's state.
    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: Int64)
        case halfOpen
    }

    public private(set) var state: State = .closed(consecutiveFailures: 0)
    /// When the current probe was admitted; a probe whose outcome never comes back is replaced after a cool-down.
    private var probeAdmittedAt: Int64 = 0
    public let failureThreshold: Int
    public let cooldownMillis: Int64

    /// Creates a closed breaker.
    public init(failureThreshold: Int = 5, cooldownMillis: Int64 = 30_000) {
        self.failureThreshold = max(1, failureThreshold)
        self.cooldownMillis = cooldownMillis
    }

    /// Whether a request may be sent now; moves an expired open breaker to half-open and admits it as the probe.
    public mutating func admit(now: Int64) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen:
            guard now >= probeAdmittedAt + cooldownMillis else { return false }
            probeAdmittedAt = now
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            probeAdmittedAt = now
            return true
        }
    }

    /// Whether `admit` would let a request through now, without changing state.
    public func wouldAdmit(now: Int64) -> Bool {
        switch state {
        case .closed: true
        case .halfOpen: now >= probeAdmittedAt + cooldownMillis
        case .open(let until): now >= until
        }
    }

    /// Records a successful request.
    public mutating func recordSuccess() { state = .closed(consecutiveFailures: 0) }

    /// Records a failed request.
    public mutating func recordFailure(now: Int64) {
        switch state {
        case .closed(let n):
            state = n + 1 >= failureThreshold ? .open(until: now + cooldownMillis) : .closed(consecutiveFailures: n + 1)
        case .halfOpen, .open:
            state = .open(until: now + cooldownMillis)
        }
    }

    /// A short name for display: `closed`, `open`, `half-open`.
    public var label: String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half-open"
        }
    }
}
