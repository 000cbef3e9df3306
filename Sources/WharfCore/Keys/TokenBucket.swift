/// A rate limit of `capacity` requests per `periodMillis`, allowing a burst of `capacity`, as a generic cell rate
/// algorithm (a token bucket kept as one "theoretical arrival time", with no drift from rounding). Pure: the caller
/// passes the time in milliseconds.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Int64
    public let periodMillis: Int64
    /// Time unit: 1/1000 ms, so that an interval of period/capacity is exact enough.
    private let interval: Int64
    private let tolerance: Int64
    private var theoreticalArrival: Int64

    /// A full bucket.
    public init(capacity: Int64, periodMillis: Int64 = 60_000, now: Int64) {
        self.capacity = max(1, capacity)
        self.periodMillis = max(1, periodMillis)
        interval = max(1, self.periodMillis * 1000 / self.capacity)
        tolerance = interval * (self.capacity - 1)
        theoreticalArrival = now * 1000
    }

    /// Takes one token if there is one.
    public mutating func take(now: Int64) -> Bool {
        let t = now * 1000
        guard max(theoreticalArrival, t) - t <= tolerance else { return false }
        theoreticalArrival = max(theoreticalArrival, t) + interval
        return true
    }

    /// Puts back one token taken earlier (never more than the bucket holds).
    public mutating func giveBack(now: Int64) {
        theoreticalArrival = max(now * 1000, theoreticalArrival - interval)
    }

    /// Whether every token is back (the bucket is as a new one would be).
    public func isFull(now: Int64) -> Bool { theoreticalArrival <= now * 1000 }

    /// Milliseconds until a token is available (0 when one is).
    public func millisUntilAvailable(now: Int64) -> Int64 {
        let wait = theoreticalArrival - tolerance - now * 1000
        return wait <= 0 ? 0 : (wait + 999) / 1000
    }
}
