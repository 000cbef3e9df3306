import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WharfCore
import WharfStorage

/// Writes usage records and charges their cost off the request path, in batches: every `flushMillis` (100 ms by
/// default), at most `maxRows` rows per transaction. Also reloads balances between flushes when asked (see
/// ``BalanceBook``).
///
/// No charge is lost silently:
/// - A batch that fails is written again row by row while the database answers: a row that still cannot be written
///   (its account was deleted underneath, say) is set aside, never blocking the rows behind it. Rows set aside stay
///   in memory, still billable (their charges stay pending in the book), counted (``setAsideSummary``), logged with
///   their ids and amounts (never content), and are retried every minute. While the database does not answer, the
///   queue is kept and retried (every database call has a time limit, `database_timeout_ms`).
/// - Past a bound (the oldest unwritten charge older than `unwritten_charges_max_age_ms`, or unwritten charges
///   summing past `unwritten_charges_max_amount`), ``refusesNewRequests`` turns on and the relay refuses new
///   requests rather than serve them unbilled.
/// - At shutdown it waits (within the grace period) for requests still in flight, a drain after a client left
///   included, so their charges are written too. Whatever cannot be written is kept on disk
///   (``UsageSpillFile``) and written at the next start (``replayKeptOnDisk()``); only without a file is it lost,
///   and then it is logged with its exact amount.
public final class UsageWriter: Service, Sendable {
    /// When new relay requests are refused for want of written charges.
    public struct Limits: Sendable {
        /// The oldest queued charge may be at most this old (milliseconds).
        public var maxAgeMillis: Int64
        /// Queued and set-aside charges may sum to at most this.
        public var maxAmount: Money

        /// Creates limits.
        public init(maxAgeMillis: Int64, maxAmount: Money) {
            self.maxAgeMillis = maxAgeMillis
            self.maxAmount = maxAmount
        }

        /// Bounds that are never reached.
        public static let none = Limits(maxAgeMillis: .max, maxAmount: Money(micros: .max))
    }

    struct Queue {
        var rows: [UsageRecord] = []
        /// Set once the writer has made its last flush: later charges go to the file on disk.
        var stopped = false
    }

    let store: WharfStore
    let book: BalanceBook
    let flushMillis: Int64
    let maxRows: Int
    let limits: Limits
    /// How long shutdown waits for requests still in flight.
    let shutdownWaitMillis: Int64
    let spill: UsageSpillFile?
    let clock: WharfClock
    let logger: Logger
    let queue = Mutex(Queue())
    /// Rows that could not be written on their own while the database answered.
    let setAside = Mutex<[UsageRecord]>([])
    /// Whether the last write reached the database (false while it does not answer).
    let lastWriteReached = Atomic<Bool>(true)
    /// When the rows set aside were last tried again.
    let lastSetAsideRetry = Mutex<ContinuousClock.Instant?>(nil)
    let reloadRequested = Atomic<Bool>(false)
    let refusing = Atomic<Bool>(false)
    /// Rows kept on disk by the last run that could not be replayed yet (see ``replayKeptOnDisk()``).
    let carried = Mutex<[UsageRecord]>([])
    /// One writer of the file on disk at a time (the final rewrite and late charges).
    let spillLock = Mutex(())
    /// One flush or reload at a time, so a caller of `flush()` returns only once everything queued before is stored.
    let gate = SerialGate()

    /// Creates a writer. `spillPath` is where unwritten charges are kept at shutdown (nil: nowhere, they are only
    /// logged).
    public init(
        store: WharfStore, book: BalanceBook, flushMillis: Int64, maxRows: Int, limits: Limits = .none,
        shutdownWaitMillis: Int64 = 0, spillPath: String? = nil, clock: WharfClock = .system, logger: Logger
    ) {
        self.store = store
        self.book = book
        self.flushMillis = flushMillis
        self.maxRows = maxRows
        self.limits = limits
        self.shutdownWaitMillis = shutdownWaitMillis
        self.spill = spillPath.map { UsageSpillFile(path: $0) }
        self.clock = clock
        self.logger = logger
    }

    /// Queues a record for the next flush, which also charges its cost. Never blocks on the database. After the
    /// writer stopped, the record is added to the file on disk (written at the next start) instead.
    public func enqueue(_ record: UsageRecord) {
        let queued = queue.withLock { q -> Bool in
            guard !q.stopped else { return false }
            q.rows.append(record)
            return true
        }
        if !queued { keepLate(record) }
    }

    /// Asks for a balance reload after the next flush.
    public func requestBalanceReload() { reloadRequested.store(true, ordering: .releasing) }

    /// Rows waiting to be written.
    public var backlog: Int { queue.withLock { $0.rows.count } }

    /// Whether new relay requests must be refused: unwritten charges are past ``Limits``. Read on the hot path
    /// (one atomic load); updated by the writer after each flush.
    public var refusesNewRequests: Bool { refusing.load(ordering: .relaxed) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.flushMillis)) }
            await flush()
            if reloadRequested.exchange(false, ordering: .acquiringAndReleasing) { await reloadBalances() }
        }
        // A copy on disk first: whatever happens during the waits and flushes below, nothing is lost.
        copyUnwrittenToDisk()
        await waitForRequestsInFlight()
        await finish()
    }

    /// Everything not yet written, from memory: queued, set aside, and rows kept on disk by the last run that could
    /// not be replayed yet.
    func unwrittenRows() -> [UsageRecord] {
        queue.withLock { $0.rows } + setAside.withLock { $0 } + carried.withLock { $0 }
    }

    /// Replaces the file on disk with what is unwritten now (the last flush's result is written over it later).
    func copyUnwrittenToDisk() {
        guard let spill else { return }
        spillLock.withLock { _ in
            let rows = unwrittenRows()
            if !rows.isEmpty { try? spill.replace(with: rows) }
        }
    }

    /// Waits, flushing, until no request holds money (their charges are then queued), or `shutdownWaitMillis`, or
    /// cancellation. While the database does not answer it only waits (the rows are already on disk).
    func waitForRequestsInFlight() async {
        let deadline = ContinuousClock.now + .milliseconds(shutdownWaitMillis)
        while book.holdsInFlight > 0 && ContinuousClock.now < deadline && !Task.isCancelled {
            if lastWriteReached.load(ordering: .relaxed) { await flush() }
            try? await Task.sleep(for: .milliseconds(20))
        }
        if book.holdsInFlight > 0 {
            logger.warning(
                "requests still in flight at shutdown: their charges are kept on disk when they end",
                metadata: ["requests": "\(book.holdsInFlight)"])
        }
    }

    /// The last flush, then: stop taking rows into memory (later ones go straight to the file), and leave on disk
    /// exactly what is still unwritten, in one step under the file's lock, so that a late charge appended meanwhile
    /// is never written over. Without a file, what is unwritten is logged as lost with its amount.
    func finish() async {
        lastSetAsideRetry.withLock { $0 = nil }
        if !Task.isCancelled { await flush() }
        var metadata: Logger.Metadata = [:]
        let (unwritten, outcome) = spillLock.withLock { _ -> ([UsageRecord], Result<Void, any Error>) in
            let queued = queue.withLock { q -> [UsageRecord] in
                q.stopped = true
                defer { q.rows.removeAll() }
                return q.rows
            }
            let rows = queued + setAside.withLock { $0 } + carried.withLock { $0 }
            let (queuedRows, queuedAmount) = Self.summary(queued)
            let (otherRows, otherAmount) = Self.summary(Array(rows.dropFirst(queued.count)))
            metadata = [
                "queued_rows": "\(queuedRows)", "queued_amount": "\(queuedAmount)",
                "set_aside_rows": "\(otherRows)", "set_aside_amount": "\(otherAmount)",
            ]
            guard let spill else { return (rows, .failure(CocoaError(.fileNoSuchFile))) }
            return (rows, Result { try spill.replace(with: rows) })
        }
        if unwritten.isEmpty {
            logger.info("usage writer drained")
            return
        }
        switch outcome {
        case .success:
            metadata["file"] = "\(spill?.path ?? "")"
            logger.critical(
                "usage writer stopped with charges unwritten: kept on disk, written at the next start",
                metadata: metadata)
        case .failure(let error):
            metadata["error"] = "\(error)"
            logger.critical("usage writer stopped with charges unwritten: they are lost", metadata: metadata)
        }
    }

    /// After the server stopped: waits (at most `maxMillis`) for requests still holding money to end, so that their
    /// charges reach the file on disk; reports those that did not, with the amount they hold.
    public func awaitLateCharges(maxMillis: Int64) async {
        let deadline = ContinuousClock.now + .milliseconds(maxMillis)
        while book.holdsInFlight > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // A request counts as in flight until its record is handed over (queued or appended to the file).
        spillLock.withLock { _ in }
        let (count, held) = (book.holdsInFlight, book.heldAmount)
        if count > 0 {
            logger.critical(
                "requests still running at exit: their charges are lost",
                metadata: ["requests": "\(count)", "held_amount": "\(held)"])
        }
    }

    /// A charge that arrived after the last flush: added to the file on disk.
    func keepLate(_ record: UsageRecord) {
        var metadata: Logger.Metadata = ["record": "\(record.id)", "amount": "\(record.cost)"]
        guard let spill else {
            logger.critical("a charge arrived after the usage writer stopped: it is lost", metadata: metadata)
            return
        }
        do {
            try spillLock.withLock { _ in try spill.append([record]) }
            logger.warning("a charge arrived after the usage writer stopped: kept on disk", metadata: metadata)
        } catch {
            metadata["error"] = "\(error)"
            logger.critical("a charge arrived after the usage writer stopped: it is lost", metadata: metadata)
        }
    }

    /// Writes the charges a previous run kept on disk (call before serving, after balances are loaded). A record
    /// already in the database is skipped, so nothing is charged twice; the file is removed once all are written.
    /// A file that cannot be read, or that has lines that cannot be read, is never deleted: it is moved aside
    /// (`….unreadable-<time>`) and reported. When the database cannot say which records it already has, nothing is
    /// replayed now: the rows stay on disk (and in the file written at shutdown) for the next start.
    public func replayKeptOnDisk() async {
        guard let spill else { return }
        let contents: UsageSpillFile.Contents
        do { contents = try spill.read() } catch {
            let aside = try? spill.moveAside()
            logger.critical(
                "the file of charges kept on disk cannot be read: moved aside",
                metadata: ["file": "\(spill.path)", "moved_to": "\(aside ?? "(could not move)")", "error": "\(error)"])
            return
        }
        if contents.unreadableLines > 0 {
            logger.critical(
                "lines of the file of charges kept on disk cannot be read: the file is kept aside",
                metadata: ["file": "\(spill.path)", "lines": "\(contents.unreadableLines)"])
        }
        guard !contents.records.isEmpty else {
            spillLock.withLock { _ in
                if contents.unreadableLines > 0 { _ = try? spill.moveAside() } else { try? spill.remove() }
            }
            return
        }
        let written: Set<String>
        do { written = try await store.existingUsageIDs(contents.records.map(\.id)) } catch {
            logger.critical(
                "charges kept on disk are not written yet: the database cannot say which it already has; retried each minute",
                metadata: ["rows": "\(contents.records.count)", "error": "\(type(of: error))"])
            // Counted against the balances until known, kept in the file written at shutdown, retried each minute.
            for row in contents.records { book.addPending(userID: row.userID, keyID: row.keyID, amount: row.cost) }
            carried.withLock { $0 = contents.records }
            if contents.unreadableLines > 0 {
                // The unreadable part stays aside; what can be read stays on disk in a fresh file (a crash loses
                // nothing).
                spillLock.withLock { _ in
                    _ = try? spill.moveAside()
                    try? spill.replace(with: unwrittenRows())
                }
            }
            return
        }
        let rows = contents.records.filter { !written.contains($0.id) }
        let (count, amount) = Self.summary(rows)
        logger.notice(
            "writing charges kept on disk by the last run",
            metadata: ["rows": "\(count)", "amount": "\(amount)", "already_written": "\(written.count)"])
        for row in rows { book.addPending(userID: row.userID, keyID: row.keyID, amount: row.cost) }
        queue.withLock { $0.rows.insert(contentsOf: rows, at: 0) }
        await flush()
        let ids = Set(rows.map(\.id))
        let left =
            queue.withLock { $0.rows.contains { ids.contains($0.id) } }
            || setAside.withLock { $0.contains { ids.contains($0.id) } }
        spillLock.withLock { _ in
            if contents.unreadableLines > 0 {
                _ = try? spill.moveAside()
                if left { try? spill.replace(with: unwrittenRows()) }
            } else if !left {
                try? spill.remove()
            }
        }
    }

    /// Recomputes ``refusesNewRequests`` from the queue and the rows set aside.
    func updateRefusal() {
        let now = clock.nowMillis()
        let (oldest, queuedMicros) = queue.withLock { q in
            (q.rows.first?.createdAt, q.rows.reduce(Int64(0)) { $0 &+ $1.cost.micros })
        }
        let asideMicros =
            setAside.withLock { $0.reduce(Int64(0)) { $0 &+ $1.cost.micros } }
            &+ carried.withLock { $0.reduce(Int64(0)) { $0 &+ $1.cost.micros } }
        let tooOld = oldest.map { now - $0 > limits.maxAgeMillis } ?? false
        let tooMuch = queuedMicros &+ asideMicros > limits.maxAmount.micros
        let refuse = tooOld || tooMuch
        if refusing.exchange(refuse, ordering: .relaxed) != refuse {
            if refuse {
                logger.critical(
                    "refusing new relay requests: charges cannot be written",
                    metadata: [
                        "oldest_ms": "\(oldest.map { now - $0 } ?? 0)",
                        "unwritten_amount": "\(Money(micros: queuedMicros &+ asideMicros))",
                    ])
            } else {
                logger.notice("charges are written again: relay requests are accepted")
            }
        }
    }

    /// Why charges are not being written, if they are not: `/readyz` reports it.
    public var problem: String? {
        if refusesNewRequests {
            return "new relay requests are refused: charges cannot be written (see /admin/api/billing)"
        }
        if !lastWriteReached.load(ordering: .relaxed) {
            return "usage records cannot be written: the database does not answer"
        }
        let (rows, amount) = setAsideSummary
        if rows > 0 { return "\(rows) usage records (\(amount)) are set aside: they cannot be written" }
        let (carriedRows, carriedAmount) = Self.summary(carried.withLock { $0 })
        return carriedRows > 0
            ? "\(carriedRows) usage records (\(carriedAmount)) kept on disk by the last run are not written yet" : nil
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
        updateRefusal()
        await gate.release()
    }

    func flushUnlocked() async {
        // Cancelled (past the shutdown grace): what is queued stays queued, for the file on disk.
        while !Task.isCancelled {
            let batch = queue.withLock { q -> [UsageRecord] in
                let n = min(q.rows.count, maxRows)
                let b = Array(q.rows.prefix(n))
                q.rows.removeFirst(n)
                return b
            }
            guard !batch.isEmpty else { return }
            do {
                let settlements = try await store.writeUsage(batch)
                book.flushed(settlements.map { ($0.userID, $0.keyID, $0.total) })
                lastWriteReached.store(true, ordering: .relaxed)
                // The database answers again: rows carried from the last run need not wait for the minute.
                if !carried.withLock({ $0.isEmpty }) { await retryCarried() }
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
            if Task.isCancelled {
                queue.withLock { $0.rows.insert(contentsOf: rows[index...], at: 0) }
                return false
            }
            do {
                let settlements = try await store.writeUsage([row])
                book.flushed(settlements.map { ($0.userID, $0.keyID, $0.total) })
                lastWriteReached.store(true, ordering: .relaxed)
            } catch {
                guard (try? await store.configVersion()) != nil else {
                    queue.withLock { $0.rows.insert(contentsOf: rows[index...], at: 0) }
                    lastWriteReached.store(false, ordering: .relaxed)
                    return false
                }
                // A commit whose answer was lost (a time-out, a cut connection) left the row written already.
                if let stored = try? await store.existingUsageIDs([row.id]), stored.contains(row.id) {
                    book.flushed([(row.userID, row.keyID, row.cost)])
                    // A reload since the lost answer may already count it in the balance: read balances again.
                    requestBalanceReload()
                    continue
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
        await retryCarried()
        let rows = setAside.withLock { rows -> [UsageRecord] in
            defer { rows.removeAll() }
            return rows
        }
        guard !rows.isEmpty else { return }
        _ = await writeOneByOne(rows)
    }

    /// Rows kept on disk by the last run whose replay waited for the database: those it has are dropped from the
    /// book's pending charges (the balances read include them), the others are queued.
    func retryCarried() async {
        let rows = carried.withLock { $0 }
        guard !rows.isEmpty, let written = try? await store.existingUsageIDs(rows.map(\.id)) else { return }
        carried.withLock { $0 = [] }
        for row in rows where written.contains(row.id) {
            book.addPending(userID: row.userID, keyID: row.keyID, amount: Money(micros: -row.cost.micros))
        }
        let fresh = rows.filter { !written.contains($0.id) }
        queue.withLock { $0.rows.insert(contentsOf: fresh, at: 0) }
        logger.notice(
            "charges kept on disk by the last run are written now",
            metadata: ["rows": "\(fresh.count)", "already_written": "\(written.count)"])
    }

    /// Reads balances and key spends from the database into the book.
    public func reloadBalances() async {
        await gate.acquire()
        await reloadUnlocked()
        await gate.release()
    }

    func reloadUnlocked() async {
        do { try await loadBalancesUnlocked() } catch {
            logger.error("balance reload failed", metadata: ["error": "\(type(of: error))"])
        }
    }

    /// The first load of balances, before serving: a failure stops the start (serving with an empty book would
    /// refuse every account).
    public func loadBalances() async throws {
        await gate.acquire()
        do { try await loadBalancesUnlocked() } catch {
            await gate.release()
            throw error
        }
        await gate.release()
    }

    func loadBalancesUnlocked() async throws {
        let balances = try await store.allBalances()
        let keys = try await store.activeKeys()
        book.load(
            balances: balances,
            keySpent: Dictionary(keys.map { ($0.id, $0.spent) }, uniquingKeysWith: { a, _ in a }))
    }
}
