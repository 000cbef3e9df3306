import Synchronization
import WharfCore

/// The live health of every channel: a circuit breaker plus recent counts and latency, shared by all requests.
public final class ChannelHealthBoard: Sendable {
    /// A channel's health as shown to operators.
    public struct Health: Sendable, Equatable {
        public var channelID: String
        public var state: String
        public var requests: Int64
        public var failures: Int64
        public var meanLatencyMillis: Int64
    }

    struct Entry {
        var breaker: CircuitBreaker
        var requests: Int64 = 0
        var failures: Int64 = 0
        var latencyTotal: Int64 = 0
    }

    let entries: Mutex<[String: Entry]>
    let failureThreshold: Int
    let cooldownMillis: Int64

    /// Creates a board whose breakers open after `failureThreshold` consecutive failures for `cooldownMillis`.
    public init(failureThreshold: Int, cooldownMillis: Int64) {
        self.failureThreshold = failureThreshold
        self.cooldownMillis = cooldownMillis
        entries = Mutex([:])
    }

    /// Whether a request may go to the channel now (an open breaker past its cool-down admits one probe).
    public func admit(_ channelID: String, now: Int64) -> Bool {
        entries.withLock { all in
            var e =
                all[channelID]
                ?? Entry(breaker: CircuitBreaker(failureThreshold: failureThreshold, cooldownMillis: cooldownMillis))
            let ok = e.breaker.admit(now: now)
            all[channelID] = e
            return ok
        }
    }

    /// Records the outcome of one attempt.
    public func record(_ channelID: String, success: Bool, latencyMillis: Int64, now: Int64) {
        entries.withLock { all in
            var e =
                all[channelID]
                ?? Entry(breaker: CircuitBreaker(failureThreshold: failureThreshold, cooldownMillis: cooldownMillis))
            e.requests += 1
            e.latencyTotal += max(0, latencyMillis)
            if success {
                e.breaker.recordSuccess()
            } else {
                e.failures += 1
                e.breaker.recordFailure(now: now)
            }
            all[channelID] = e
        }
    }

    /// The health of every channel seen since the last reset, and resets the counts (not the breakers).
    public func drainSnapshot() -> [Health] {
        entries.withLock { all in
            var out: [Health] = []
            for (id, e) in all {
                out.append(
                    Health(
                        channelID: id, state: e.breaker.label, requests: e.requests, failures: e.failures,
                        meanLatencyMillis: e.requests > 0 ? e.latencyTotal / e.requests : 0))
                all[id]?.requests = 0
                all[id]?.failures = 0
                all[id]?.latencyTotal = 0
            }
            return out
        }
    }

    /// The breaker state label of a channel.
    public func state(_ channelID: String) -> String {
        entries.withLock { $0[channelID]?.breaker.label ?? "closed" }
    }
}
