import Synchronization
import WharfCore

/// The balances and key spends a server relays against, in memory, so that a request's hold needs no database
/// query.
///
/// For each account: the balance last read from the database, the charges settled here but not yet written
/// (pending), and the holds of requests in flight (reserved). A hold succeeds only when
/// `balance − pending − reserved ≥ amount` (and likewise for the key's spending limit), checked and taken under one
/// lock. The hold is an admission check, not a ceiling: a request whose real cost passes its hold is charged in
/// full, so a balance (or a key's spend) may pass its bound by that difference; it is then refused until topped up.
/// Such overages are counted (``overages``). Charges reach the database through the batched
/// usage writer, which then calls ``flushed(_:)``; the writer also reloads balances (credit granted elsewhere)
/// between its flushes, so a reload never races a flush.
public final class BalanceBook: Sendable {
    struct Account {
        var balance: Int64 = 0
        var pending: Int64 = 0
        var reserved: Int64 = 0
    }

    struct KeySpend {
        var spent: Int64 = 0
        var pending: Int64 = 0
        var reserved: Int64 = 0
    }

    struct State {
        var accounts: [String: Account] = [:]
        var keys: [String: KeySpend] = [:]
    }

    let state = Mutex(State())
    private let overageCount = Atomic<Int64>(0)
    private let overageMicros = Atomic<Int64>(0)
    private let openHolds = Atomic<Int>(0)

    /// Requests in flight: holds taken whose charge is not yet with the usage writer (a drain after the client left
    /// included). The writer waits for them at shutdown, so that their charges are written too.
    public var holdsInFlight: Int { openHolds.load(ordering: .acquiring) }

    /// The money held by requests in flight, summed (read at shutdown, not on the request path).
    public var heldAmount: Money {
        Money(micros: state.withLock { s in s.accounts.values.reduce(Int64(0)) { $0 &+ $1.reserved } })
    }

    /// Requests whose charge passed their hold since start, and the sum of the differences.
    public var overages: (count: Int64, amount: Money) {
        (overageCount.load(ordering: .relaxed), Money(micros: overageMicros.load(ordering: .relaxed)))
    }

    func recordOverage(_ micros: Int64) {
        overageCount.add(1, ordering: .relaxed)
        overageMicros.wrappingAdd(micros, ordering: .relaxed)
    }

    /// Creates an empty book.
    public init() {}

    /// Reserves `amount` for a request of `userID` with key `keyID`; nil when the balance or the key's limit does
    /// not cover it.
    public func reserve(userID: String, keyID: String, amount: Money, keyLimit: Money?) -> Reservation? {
        let ok = state.withLock { s -> Bool in
            let a = s.accounts[userID] ?? Account()
            // An account (or key) already past its bound by an overage is refused even for a free request.
            let needed = max(0, amount.micros)
            guard a.balance - a.pending - a.reserved >= needed else { return false }
            let k = s.keys[keyID] ?? KeySpend()
            if let limit = keyLimit, limit.micros - k.spent - k.pending - k.reserved < needed { return false }
            s.accounts[userID, default: Account()].reserved += amount.micros
            s.keys[keyID, default: KeySpend()].reserved += amount.micros
            return true
        }
        guard ok else { return nil }
        openHolds.add(1, ordering: .relaxed)
        return Reservation(book: self, userID: userID, keyID: keyID, amount: amount)
    }

    func close(_ r: Reservation, charged: Int64) {
        state.withLock { s in
            s.accounts[r.userID, default: Account()].reserved -= r.amount.micros
            s.accounts[r.userID, default: Account()].pending += charged
            s.keys[r.keyID, default: KeySpend()].reserved -= r.amount.micros
            s.keys[r.keyID, default: KeySpend()].pending += charged
        }
    }

    /// A request's charge is with the writer (see ``Reservation/recorded()``): it no longer counts as in flight.
    func handedOver() { openHolds.subtract(1, ordering: .releasing) }

    /// A charge not yet written that no hold of this run settled (kept on disk by the last run): pending until the
    /// writer stores it.
    public func addPending(userID: String, keyID: String, amount: Money) {
        state.withLock { s in
            s.accounts[userID, default: Account()].pending += amount.micros
            s.keys[keyID, default: KeySpend()].pending += amount.micros
        }
    }

    /// The writer stored these charges: move them from pending into the balance and the key's spend.
    public func flushed(_ charges: [(userID: String, keyID: String, amount: Money)]) {
        state.withLock { s in
            for c in charges {
                s.accounts[c.userID, default: Account()].pending -= c.amount.micros
                s.accounts[c.userID, default: Account()].balance -= c.amount.micros
                s.keys[c.keyID, default: KeySpend()].pending -= c.amount.micros
                s.keys[c.keyID, default: KeySpend()].spent += c.amount.micros
            }
        }
    }

    /// Replaces balances and key spends with values read from the database (which include every flushed charge).
    public func load(balances: [String: Money], keySpent: [String: Money]) {
        state.withLock { s in
            for (user, balance) in balances { s.accounts[user, default: Account()].balance = balance.micros }
            for (key, spent) in keySpent { s.keys[key, default: KeySpend()].spent = spent.micros }
        }
    }
}

/// Money held for one request. Settle it with the actual cost, or release it; if neither happens (the request's
/// task ended on an unexpected path), it is released when the last reference goes away.
public final class Reservation: Sendable {
    let book: BalanceBook
    public let userID: String
    public let keyID: String
    /// The amount held.
    public let amount: Money
    let closed = Atomic<Bool>(false)

    init(book: BalanceBook, userID: String, keyID: String, amount: Money) {
        self.book = book
        self.userID = userID
        self.keyID = keyID
        self.amount = amount
    }

    /// Charges `cost` in full, returns it, and frees the hold. A cost above the hold is charged too (the hold only
    /// admitted the request) and counted as an overage. Only the first settle or release has an effect.
    @discardableResult
    public func settle(cost: Money) -> Money {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return .zero }
        let charged = max(0, cost.micros)
        if charged > amount.micros { book.recordOverage(charged - amount.micros) }
        book.close(self, charged: charged)
        return Money(micros: charged)
    }

    /// Returns the whole hold.
    public func release() { settle(cost: .zero) }

    /// The request's usage record is with the writer (queued, or on disk): the request no longer counts as in
    /// flight (``BalanceBook/holdsInFlight``). Call after settling and handing over the record; only the first call
    /// counts.
    public func recorded() {
        if inFlight.exchange(false, ordering: .acquiringAndReleasing) { book.handedOver() }
    }

    let inFlight = Atomic<Bool>(true)

    deinit {
        if !closed.load(ordering: .acquiring) { book.close(self, charged: 0) }
        recorded()
    }
}
