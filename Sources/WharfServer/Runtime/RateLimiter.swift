import Synchronization
import WharfCore

/// Per-key request rate limits (token buckets in memory, one per key). A key's own limit wins over the server's
/// default; with neither, requests are not limited.
public final class RateLimiter: Sendable {
    let buckets = Mutex<[String: TokenBucket]>([:])
    let defaultPerMinute: Int64
    let lastPrune = Mutex<Int64>(0)
    /// The period the limits count over (a minute unless given).
    let periodMillis: Int64

    /// Creates a limiter with a default requests-per-minute for keys without their own (0: unlimited); with
    /// `periodMillis`, the limits count per that period instead of per minute.
    public init(defaultPerMinute: Int64, periodMillis: Int64 = 60_000) {
        self.defaultPerMinute = defaultPerMinute
        self.periodMillis = periodMillis
    }

    /// Forgets buckets that have refilled completely (they would start full anyway), at most once a minute, so
    /// limits keyed by client address do not grow without end.
    public func pruneIdle(now: Int64) {
        let due = lastPrune.withLock { last -> Bool in
            guard now - last >= 60_000 else { return false }
            last = now
            return true
        }
        guard due else { return }
        buckets.withLock { all in all = all.filter { !$0.value.isFull(now: now) } }
    }

    /// Returns the token an admitted request took (for limits that count only failures: take first, give back on
    /// success).
    public func giveBack(keyID: String, now: Int64) {
        buckets.withLock { all in all[keyID]?.giveBack(now: now) }
    }

    /// Whether key `keyID` may make a request now; when not, how many seconds to wait.
    public func admit(keyID: String, perMinute: Int64?, now: Int64) -> (allowed: Bool, retryAfterSeconds: Int64) {
        let limit = perMinute ?? defaultPerMinute
        guard limit > 0 else { return (true, 0) }
        return buckets.withLock { all in
            var bucket =
                all[keyID].flatMap { $0.capacity == limit ? $0 : nil }
                ?? TokenBucket(capacity: limit, periodMillis: periodMillis, now: now)
            let ok = bucket.take(now: now)
            all[keyID] = bucket
            return (ok, ok ? 0 : max(1, (bucket.millisUntilAvailable(now: now) + 999) / 1000))
        }
    }
}
