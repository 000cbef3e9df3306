import Logging
import ServiceLifecycle
import Synchronization
import WharfCore
import WharfStorage

/// Writes usage records and charges their cost off the request path, in batches: every `flushMillis` (100 ms by
/// default), at most `maxRows` rows per transaction. Drained on graceful shutdown; a hard crash can lose at most one
/// interval. Also reloads balances between flushes when asked (see ``BalanceBook``).
public final class UsageWriter: Service, Sendable {
    let store: WharfStore
    let book: BalanceBook
    let flushMillis: Int64
    let maxRows: Int
    let logger: Logger
    let queue = Mutex<[UsageRecord]>([])
    let reloadRequested = Atomic<Bool>(false)
    /// One flush or reload at a time, so a caller of `flush()` returns only once everything queued before is stored.
    let gate = SerialGate()

    /// Creates a writer.
    public init(store: WharfStore, book: BalanceBook, flushMillis: Int64, maxRows: Int, logger: Logger) {
        self.store = store
        self.book = book
        self.flushMillis = flushMillis
        self.maxRows = maxRows
        self.logger = logger
    }

    /// Queues a record for the next flush, which also charges its cost. Never blocks on the database.
    public func enqueue(_ record: UsageRecord) {
        queue.withLock { $0.append(record) }
    }

    /// Asks for a balance reload after the next flush.
    public func requestBalanceReload() { reloadRequested.store(true, ordering: .releasing) }

    /// Rows waiting to be written.
    public var backlog: Int { queue.withLock { $0.count } }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.flushMillis)) }
            await flush()
            if reloadRequested.exchange(false, ordering: .acquiringAndReleasing) { await reloadBalances() }
        }
        await flush()
        logger.info("usage writer drained")
    }

    /// Writes everything queued now (waiting for a flush already under way).
    public func flush() async {
        await gate.acquire()
        await flushUnlocked()
        await gate.release()
    }

    func flushUnlocked() async {
        while true {
            let batch = queue.withLock { q -> [UsageRecord] in
                let n = min(q.count, maxRows)
                let b = Array(q.prefix(n))
                q.removeFirst(n)
                return b
            }
            guard !batch.isEmpty else { return }
            do {
                let settlements = try await store.writeUsage(batch)
                book.flushed(settlements.map { ($0.userID, $0.keyID, $0.total) })
            } catch {
                // Keep the rows for the next attempt rather than lose money; log without content.
                logger.error(
                    "usage flush failed; will retry",
                    metadata: ["rows": "\(batch.count)", "error": "\(type(of: error))"])
                queue.withLock { $0.insert(contentsOf: batch, at: 0) }
                try? await Task.sleep(for: .milliseconds(500))
                return
            }
        }
    }

    /// Reads balances and key spends from the database into the book.
    public func reloadBalances() async {
        await gate.acquire()
        await reloadUnlocked()
        await gate.release()
    }

    func reloadUnlocked() async {
        do {
            let balances = try await store.allBalances()
            let keys = try await store.activeKeys()
            book.load(
                balances: balances,
                keySpent: Dictionary(keys.map { ($0.id, $0.spent) }, uniquingKeysWith: { a, _ in a }))
        } catch {
            logger.error("balance reload failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
