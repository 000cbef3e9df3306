import Logging
import ServiceLifecycle
import Synchronization
import WharfCore
import WharfStorage

/// Writes usage records and charges their cost off the request path, in batches: every `flushMillis` (100 ms by
/// default), at most `maxRows` rows per transaction. Drained on graceful shutdown; a hard crash can lose at most one
/// interval. Also reloads balances between flushes when asked (see ``BalanceBook``).
///
/// A batch that fails is written again row by row while the database answers: a row that still cannot be written
/// (its account was deleted underneath, say) is set aside, never blocking the rows behind it. Rows set aside stay in
/// memory, still billable (their charges stay pending in the book), counted (``setAsideSummary``), logged with
/// their ids and amounts (never content), and are retried every minute. While the database does not answer, the
/// queue is kept and retried. Whatever is still unwritten at shutdown is logged with its exact amount.
public final class UsageWriter: Service, Sendable {
    let store: WharfStore
    let book: BalanceBook
    let flushMillis: Int64
    let maxRows: Int
    let logger: Logger
    let queue = Mutex<[UsageRecord]>([])
    /// Rows that could not be written on their own while the database answered.
    let setAside = Mutex<[UsageRecord]>([])
    /// Whether the last write reached the database (false while it does not answer).
    let lastWriteReached = Atomic<Bool>(true)
    /// When the rows set aside were last tried again.
    let lastSetAsideRetry = Mutex<ContinuousClock.Instant?>(nil)
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
        let (queued, queuedAmount) = Self.summary(queue.withLock { $0 })
        let (aside, asideAmount) = setAsideSummary
        if queued + aside > 0 {
            logger.critical(
                "usage writer stopped with charges unwritten",
                metadata: [
                    "queued_rows": "\(queued)", "queued_amount": "\(queuedAmount)", "set_aside_rows": "\(aside)",
                    "set_aside_amount": "\(asideAmount)",
                ])
        } else {
            logger.info("usage writer drained")
        }
    }

    /// Why charges are not being written, if they are not: `/readyz` reports it.
    public var problem: String? {
        if !lastWriteReached.load(ordering: .relaxed) {
            return "usage records cannot be written: the database does not answer"
        }
        let (rows, amount) = setAsideSummary
        return rows > 0 ? "\(rows) usage records (\(amount)) are set aside: they cannot be written" : nil
    }

    /// Rows set aside and their summed cost.
    public var setAsideSummary: (rows: Int, amount: Money) { Self.summary(setAside.withLock { $0 }) }

    static func summary(_ rows: [UsageRecord]) -> (Int, Money) {
        (rows.count, Money(micros: rows.reduce(0) { $0 &+ $1.cost.micros }))
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
                lastWriteReached.store(true, ordering: .relaxed)
            } catch {
                logger.error(
                    "usage flush failed; writing the batch row by row",
                    metadata: ["rows": "\(batch.count)", "error": "\(type(of: error))"])
                guard await writeOneByOne(batch) else {
                    // The database does not answer: the unwritten rows are back in the queue for the next attempt.
                    try? await Task.sleep(for: .milliseconds(500))
                    return
                }
            }
        }
        await retrySetAside()
    }

    /// Writes `rows` one at a time; rows that fail while the database answers are set aside. When the database
    /// itself does not answer, the rows not written go back to the head of the queue and it returns false.
    func writeOneByOne(_ rows: [UsageRecord]) async -> Bool {
        for (index, row) in rows.enumerated() {
            do {
                let settlements = try await store.writeUsage([row])
                book.flushed(settlements.map { ($0.userID, $0.keyID, $0.total) })
                lastWriteReached.store(true, ordering: .relaxed)
            } catch {
                guard (try? await store.configVersion()) != nil else {
                    queue.withLock { $0.insert(contentsOf: rows[index...], at: 0) }
                    lastWriteReached.store(false, ordering: .relaxed)
                    return false
                }
                setAside.withLock { $0.append(row) }
                logger.critical(
                    "usage record set aside: it cannot be written",
                    metadata: [
                        "record": "\(row.id)", "user": "\(row.userID)", "amount": "\(row.cost)",
                        "error": "\(type(of: error))",
                    ])
            }
        }
        return true
    }

    /// Tries the rows set aside again, at most once a minute.
    func retrySetAside() async {
        let now = ContinuousClock.now
        let due = lastSetAsideRetry.withLock { last -> Bool in
            guard last.map({ now - $0 >= .seconds(60) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        let rows = setAside.withLock { rows -> [UsageRecord] in
            defer { rows.removeAll() }
            return rows
        }
        guard !rows.isEmpty else { return }
        _ = await writeOneByOne(rows)
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
