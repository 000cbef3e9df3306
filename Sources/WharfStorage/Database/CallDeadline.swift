import NIOCore
import Synchronization

/// Runs a database call against a deadline and returns when the first of three things happens: the call ends, the
/// deadline passes (``WharfDatabaseError/timedOut(millis:)``), or the caller's task is cancelled
/// (`CancellationError`). It never waits for a call that hangs: the call runs in a task of its own, and on a
/// time-out or cancellation `abandon` runs (it closes the call's connection, so the call fails if its driver still
/// notices) and the call is left to end by itself. A PostgreSQL connection killed at the wrong moment was seen to
/// leave its query pending forever even after the connection was closed; this is what keeps such a call from
/// hanging the usage writer and, through it, shutdown.
enum CallDeadline {
    /// The one result, handed over once, whichever way it comes.
    final class Outcome<R: Sendable>: Sendable {
        struct State {
            var continuation: CheckedContinuation<R, any Error>?
            var early: Result<R, any Error>?
            var done = false
        }
        let state = Mutex(State())

        /// Waits for the result (it may already be there).
        func attach(_ continuation: CheckedContinuation<R, any Error>) {
            let ready = state.withLock { s -> Result<R, any Error>? in
                if let early = s.early {
                    s.early = nil
                    return early
                }
                s.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }

        /// Hands over `result` if nothing was handed over yet; true when it was this one.
        @discardableResult
        func finish(_ result: Result<R, any Error>) -> Bool {
            let (first, continuation) = state.withLock { s -> (Bool, CheckedContinuation<R, any Error>?) in
                guard !s.done else { return (false, nil) }
                s.done = true
                guard let c = s.continuation else {
                    s.early = result
                    return (true, nil)
                }
                s.continuation = nil
                return (true, c)
            }
            continuation?.resume(with: result)
            return first
        }
    }

    /// Runs `call`; see ``CallDeadline``.
    static func run<R: Sendable>(
        millis: Int64, on loop: any EventLoop, abandon: @escaping @Sendable () -> Void,
        _ call: @escaping @Sendable () async throws -> R
    ) async throws -> R {
        let outcome = Outcome<R>()
        let task = Task {
            do { outcome.finish(.success(try await call())) } catch { outcome.finish(.failure(error)) }
        }
        let timer = loop.scheduleTask(in: .milliseconds(millis)) {
            if outcome.finish(.failure(WharfDatabaseError.timedOut(millis: millis))) {
                abandon()
                task.cancel()
            }
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { outcome.attach($0) }
        } onCancel: {
            if outcome.finish(.failure(CancellationError())) {
                abandon()
                task.cancel()
            }
        }
    }
}
