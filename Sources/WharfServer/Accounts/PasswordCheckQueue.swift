import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Bounds the bcrypt work the pages can ask for at once: at most `running` checks run (on ``PasswordHashing/pool``) and
/// at most `waiting` wait for a turn, in order. A check that finds the queue full is refused at once ("try again
/// later") instead of lengthening everyone's wait, so a flood of password posts cannot starve sign-in for minutes.
public final class PasswordCheckQueue: Sendable {
    struct State {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let running: Int
    let waiting: Int
    let state = NIOLockedValueBox(State())

    /// The queue is full.
    public struct Busy: Error {}

    /// A queue running `running` checks at once with `waiting` more queued.
    public init(running: Int = max(1, System.coreCount), waiting: Int = 16) {
        self.running = running
        self.waiting = waiting
    }

    /// Runs `work` on the thread pool when a slot is free; throws ``Busy`` when the queue is full.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await PasswordHashing.pool.runIfActive(work)
    }

    func acquire() async throws {
        enum Decision { case go, wait, refuse }
        let decision = state.withLockedValue { s -> Decision in
            if s.running < running {
                s.running += 1
                return .go
            }
            return s.waiters.count < waiting ? .wait : .refuse
        }
        switch decision {
        case .go: return
        case .refuse: throw Busy()
        case .wait:
            await withCheckedContinuation { continuation in
                let admitted = state.withLockedValue { s -> Bool in
                    // A slot may have freed since the decision.
                    if s.running < running {
                        s.running += 1
                        return true
                    }
                    s.waiters.append(continuation)
                    return false
                }
                if admitted { continuation.resume() }
            }
        }
    }

    func release() {
        // The slot passes straight to the first waiter, if any.
        let next = state.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.running -= 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
