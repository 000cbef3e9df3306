import Testing
import WharfCore

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test("It opens after the threshold of consecutive failures, not before", arguments: [1, 3, 5])
    func opensAfterThreshold(threshold: Int) {
        var breaker = CircuitBreaker(failureThreshold: threshold, cooldownMillis: 1_000)
        for n in 1..<threshold {
            breaker.recordFailure(now: Int64(n))
            #expect(breaker.state == .closed(consecutiveFailures: n))
            let admitted = breaker.admit(now: Int64(n))
            #expect(admitted, "after \(n) failures")
        }
        breaker.recordFailure(now: 100)
        #expect(breaker.state == .open(until: 1_100))
        #expect(breaker.label == "open")
    }

    @Test("A success resets the count of consecutive failures")
    func successResets() {
        var breaker = CircuitBreaker(failureThreshold: 3, cooldownMillis: 1_000)
        breaker.recordFailure(now: 0)
        breaker.recordFailure(now: 1)
        breaker.recordSuccess()
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        breaker.recordFailure(now: 2)
        breaker.recordFailure(now: 3)
        #expect(breaker.state == .closed(consecutiveFailures: 2))
        let admitted = breaker.admit(now: 3)
        #expect(admitted)
    }

    /// A breaker with threshold 2 and cool-down 1000 ms, opened at t=500 (open until 1500).
    static func opened() -> CircuitBreaker {
        var breaker = CircuitBreaker(failureThreshold: 2, cooldownMillis: 1_000)
        breaker.recordFailure(now: 400)
        breaker.recordFailure(now: 500)
        return breaker
    }

    @Test("An open breaker rejects every request during the cool-down")
    func rejectsDuringCooldown() {
        var breaker = Self.opened()
        for now in [500, 501, 1_000, 1_499] as [Int64] {
            #expect(!breaker.wouldAdmit(now: now), "t=\(now)")
            let admitted = breaker.admit(now: now)
            #expect(!admitted, "t=\(now)")
        }
        #expect(breaker.state == .open(until: 1_500))
    }

    @Test("After the cool-down exactly one probe is admitted")
    func singleProbe() {
        var breaker = Self.opened()
        #expect(breaker.wouldAdmit(now: 1_500))
        #expect(breaker.state == .open(until: 1_500), "wouldAdmit must not change state")
        let probe = breaker.admit(now: 1_500)
        #expect(probe)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.label == "half-open")
        for now in [1_500, 1_501, 2_499] as [Int64] {
            let admitted = breaker.admit(now: now)
            #expect(!admitted, "t=\(now)")
            #expect(!breaker.wouldAdmit(now: now), "t=\(now)")
        }
    }

    @Test("A probe whose outcome never comes back is replaced by another after a cool-down")
    func lostProbeReplaced() {
        var breaker = Self.opened()
        let probe = breaker.admit(now: 1_500)
        #expect(probe)
        let replacement = breaker.admit(now: 2_500)
        #expect(replacement)
        let extra = breaker.admit(now: 2_501)
        #expect(!extra)
        #expect(breaker.state == .halfOpen)
    }

    @Test("A successful probe closes the circuit")
    func probeSuccessCloses() {
        var breaker = Self.opened()
        let probe = breaker.admit(now: 2_000)
        #expect(probe)
        breaker.recordSuccess()
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        #expect(breaker.label == "closed")
        let next = [breaker.admit(now: 2_001), breaker.admit(now: 2_002)]
        #expect(next == [true, true])
    }

    @Test("A failed probe opens the circuit again for a full cool-down")
    func probeFailureReopens() {
        var breaker = Self.opened()
        let probe = breaker.admit(now: 2_000)
        #expect(probe)
        breaker.recordFailure(now: 2_100)
        #expect(breaker.state == .open(until: 3_100))
        let next = [breaker.admit(now: 3_099), breaker.admit(now: 3_100), breaker.admit(now: 3_100)]
        #expect(next == [false, true, false])
    }

    @Test("A threshold below one is treated as one")
    func thresholdClamped() {
        var breaker = CircuitBreaker(failureThreshold: 0, cooldownMillis: 10)
        #expect(breaker.failureThreshold == 1)
        breaker.recordFailure(now: 0)
        #expect(breaker.state == .open(until: 10))
    }

    @Test("A new breaker is closed and uses the documented defaults")
    func defaults() {
        var breaker = CircuitBreaker()
        #expect(breaker.state == .closed(consecutiveFailures: 0))
        #expect(breaker.failureThreshold == 5)
        #expect(breaker.cooldownMillis == 30_000)
        let admitted = breaker.admit(now: 0)
        #expect(admitted)
    }
}
