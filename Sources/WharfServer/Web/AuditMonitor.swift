import NIOConcurrencyHelpers
import WharfCore
import WharfStorage

/// What the admin audit page says about the audit chain, without making a visitor wait for a walk of every row.
///
/// Each view checks the rows added since the last sound row (or, on the first view, since the anchor outside the
/// database) and the anchor itself: the cost of the new rows. The whole chain, including rows before that point, is
/// walked in the background on the first view and again once an hour; a break it finds is shown on every view
/// until the chain is sound again.
final class AuditMonitor: Sendable {
    struct State {
        var checkpoint: AuditAnchorFile.Head?
        var full: AuditVerification?
        var fullAt: Int64?
        var running = false
    }

    let store: WharfStore
    let clock: WharfClock
    let fullEveryMillis: Int64
    let state = NIOLockedValueBox(State())

    init(store: WharfStore, clock: WharfClock, fullEveryMillis: Int64 = 3_600_000) {
        self.store = store
        self.clock = clock
        self.fullEveryMillis = fullEveryMillis
    }

    /// The verdict for a page view, when the whole chain was last walked (nil: never yet), and whether a walk is
    /// running now.
    func verdict() async throws -> (verdict: AuditVerification, fullAt: Int64?, fullRunning: Bool) {
        startFullWalkIfDue()
        let from = state.withLockedValue { $0.checkpoint } ?? (try? store.auditAnchor?.read()) ?? nil
        let quick = try await store.verifyAudit(from: from)
        let (full, fullAt, running) = state.withLockedValue { s in
            if quick.ok, let head = quick.head { s.checkpoint = head }
            return (s.full, s.fullAt, s.running)
        }
        if let full, !full.ok { return (full, fullAt, running) }
        return (quick, fullAt, running)
    }

    func startFullWalkIfDue() {
        let now = clock.nowMillis()
        let due = state.withLockedValue { s -> Bool in
            // Due hourly, and at once again while the last whole walk found a break (so a repaired chain clears).
            let due = s.full?.ok == false || (s.fullAt.map { now - $0 >= fullEveryMillis } ?? true)
            guard !s.running, due else { return false }
            s.running = true
            return true
        }
        guard due else { return }
        let store = store
        let clock = clock
        Task.detached { [state] in
            let result = try? await store.verifyAudit()
            state.withLockedValue { s in
                s.running = false
                if let result {
                    s.full = result
                    s.fullAt = clock.nowMillis()
                }
            }
        }
    }
}
