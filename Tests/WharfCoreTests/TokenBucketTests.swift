import Testing
import WharfCore

@Suite("Token bucket")
struct TokenBucketTests {
    /// Takes `n` tokens at `now` and returns how many were granted.
    static func take(_ bucket: inout TokenBucket, _ n: Int, at now: Int64) -> Int {
        (0..<n).reduce(0) { granted, _ in granted + (bucket.take(now: now) ? 1 : 0) }
    }

    @Test("A full bucket allows its capacity at once, then refills at capacity per period")
    func refills() {
        var bucket = TokenBucket(capacity: 3, periodMillis: 60_000, now: 0)
        #expect(Self.take(&bucket, 4, at: 0) == 3)
        #expect(bucket.millisUntilAvailable(now: 0) == 20_000)
        #expect(Self.take(&bucket, 1, at: 19_999) == 0)
        #expect(Self.take(&bucket, 2, at: 20_000) == 1)
        #expect(Self.take(&bucket, 3, at: 60_000) == 2)
    }

    @Test("A long idle time never fills the bucket beyond its capacity, and a clock going back grants nothing")
    func capped() {
        var bucket = TokenBucket(capacity: 2, periodMillis: 1000, now: 0)
        #expect(Self.take(&bucket, 5, at: 1_000_000_000_000) == 2)
        #expect(Self.take(&bucket, 1, at: 0) == 0)
    }
}
