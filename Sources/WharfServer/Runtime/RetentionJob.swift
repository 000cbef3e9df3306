import Logging
import ServiceLifecycle
import WharfCore
import WharfStorage

/// The retention schedule, enforced by the server (promise P3): once shortly after start and then daily, every
/// record past its retention is deleted in bounded batches (``WharfStore/runRetention(schedule:nowMillis:dryRun:progress:)``)
/// and the count per kind is logged. A failed run is logged as an error with its reason and retried an hour later.
/// Several servers may run it at once: each batch is its own transaction and deletes only what is still there.
public final class RetentionJob: Service, Sendable {
    let store: WharfStore
    let schedule: RetentionSchedule
    let clock: WharfClock
    let logger: Logger
    let intervalMillis: Int64
    let startDelayMillis: Int64

    /// Creates the job: first run `startDelayMillis` after start, then every `intervalMillis` (a day).
    public init(
        store: WharfStore, schedule: RetentionSchedule, clock: WharfClock, logger: Logger,
        intervalMillis: Int64 = 86_400_000, startDelayMillis: Int64 = 5_000
    ) {
        self.store = store
        self.schedule = schedule
        self.clock = clock
        self.logger = logger
        self.intervalMillis = intervalMillis
        self.startDelayMillis = startDelayMillis
    }

    /// One run at the clock's time; returns whether it completed.
    @discardableResult
    public func runOnce() async -> Bool {
        do {
            let logger = logger
            let report = try await store.runRetention(
                schedule: schedule, nowMillis: clock.nowMillis(), dryRun: false
            ) { line in
                logger.info(
                    "retention",
                    metadata: [
                        "kind": "\(line.name)", "class": "\(line.retention.rawValue)", "deleted": "\(line.rows)",
                    ])
            }
            if report.total > 0 { try await store.flushDeletedContent() }
            logger.notice("retention run done", metadata: ["deleted": "\(report.total)"])
            return true
        } catch {
            logger.error(
                "retention run failed; retrying in an hour",
                metadata: ["error": "\(String(describing: error).prefix(300))"])
            return false
        }
    }

    public func run() async throws {
        var wait = startDelayMillis
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let delay = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(delay)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            wait = await runOnce() ? intervalMillis : min(intervalMillis, 3_600_000)
        }
    }
}
