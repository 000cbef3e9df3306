import SQLKit
import WharfCore

/// A wallet whose balance differs from the sum of its ledger entries.
public struct LedgerMismatch: Sendable, Equatable, CustomStringConvertible {
    public var userID: String
    public var balance: Money
    public var sumOfEntries: Money
    public var description: String { "user \(userID): balance \(balance) but entries sum to \(sumOfEntries)" }
}

extension WharfStore {
    /// Adds (or, for a negative adjustment, removes) credit, writing the entry and the balance in one transaction.
    /// A negative amount never takes the balance below zero.
    public func post(
        userID: String, kind: LedgerEntryKind, amount: Money, reason: String? = nil, reference: String? = nil
    ) async throws -> Money {
        guard [.grant, .adjustment].contains(kind) else {
            throw StoreError.invalid("\(kind.rawValue) entries are posted by holds, settlements, orders and codes")
        }
        guard amount.micros != 0 else { throw StoreError.invalid("the amount must not be zero") }
        guard amount.micros > 0 || kind == .adjustment else {
            throw StoreError.invalid("the amount must be positive")
        }
        let at = now
        return try await database.transaction { db in
            let updated = try await db.raw(
                """
                UPDATE wallets SET balance = balance + \(bind: amount.micros), updated_at = \(bind: at)
                WHERE user_id = \(bind: userID) AND (\(bind: amount.micros) > 0 OR balance + \(bind: amount.micros) >= 0)
                RETURNING balance
                """
            ).first()
            guard let updated else {
                let exists = try await db.raw("SELECT user_id FROM wallets WHERE user_id = \(bind: userID)").first()
                throw exists == nil ? StoreError.notFound("user") : StoreError.insufficientBalance
            }
            try await Self.insertEntry(
                db, userID: userID, kind: kind, amount: amount.micros, reference: reference, reason: reason, at: at)
            try await Self.bumpConfigVersion(db)
            return Money(micros: try updated.int64("balance"))
        }
    }

    /// The balance of a user.
    public func balance(userID: String) async throws -> Money {
        try await database.withConnection { db in
            guard let row = try await db.raw("SELECT balance FROM wallets WHERE user_id = \(bind: userID)").first()
            else { throw StoreError.notFound("user") }
            return Money(micros: try row.int64("balance"))
        }
    }

    /// All balances, for the server's in-memory balance book.
    public func allBalances() async throws -> [String: Money] {
        try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            var out: [String: Money] = [:]
            for row in try await db.raw("SELECT user_id, balance FROM wallets").all() {
                out[try row.string("user_id")] = Money(micros: try row.int64("balance"))
            }
            return out
        }
    }

    /// Reserves `amount` of a user's balance. A conditional update: it never overdraws, however many holds race.
    /// Returns the hold id, or nil when the balance does not cover it.
    public func placeHold(userID: String, amount: Money) async throws -> String? {
        guard amount.micros > 0 else { throw StoreError.invalid("a hold must be positive") }
        let id = WharfID.make("hold")
        let at = now
        return try await database.transaction { db in
            let updated = try await db.raw(
                """
                UPDATE wallets SET balance = balance - \(bind: amount.micros), updated_at = \(bind: at)
                WHERE user_id = \(bind: userID) AND balance >= \(bind: amount.micros)
                RETURNING balance
                """
            ).first()
            guard updated != nil else { return nil }
            try await db.raw(
                "INSERT INTO holds (id, user_id, amount, status, created_at) VALUES (\(bind: id), \(bind: userID), \(bind: amount.micros), 'open', \(bind: at))"
            ).run()
            try await Self.insertEntry(
                db, userID: userID, kind: .hold, amount: -amount.micros, reference: id, reason: nil, at: at)
            return id
        }
    }

    /// Settles an open hold at `cost` (capped at the hold) and returns the rest to the balance.
    public func settleHold(id: String, cost: Money) async throws {
        try await closeHold(id: id, cost: cost)
    }

    /// Returns an open hold to the balance in full.
    public func releaseHold(id: String) async throws {
        try await closeHold(id: id, cost: nil)
    }

    private func closeHold(id: String, cost: Money?) async throws {
        let at = now
        try await database.transaction { db in
            guard
                let row = try await db.raw(
                    "UPDATE holds SET status = \(bind: cost == nil ? "released" : "settled"), closed_at = \(bind: at) WHERE id = \(bind: id) AND status = 'open' RETURNING user_id, amount"
                ).first()
            else { throw StoreError.notFound("open hold") }
            let userID = try row.string("user_id")
            let held = try row.int64("amount")
            let charged = cost.map { min(max(0, $0.micros), held) } ?? 0
            let back = held - charged
            try await db.raw(
                "UPDATE wallets SET balance = balance + \(bind: back), updated_at = \(bind: at) WHERE user_id = \(bind: userID)"
            ).run()
            try await Self.insertEntry(
                db, userID: userID, kind: cost == nil ? .release : .settle, amount: back, reference: id, reason: nil,
                at: at)
        }
    }

    /// The ledger side of ``writeUsage(_:)`` inside its transaction: per settlement one `settle` entry (referring to
    /// the key), one update per wallet and one per key.
    static func postSettlements(_ settlements: [UsageSettlement], db: any SQLDatabase, at: Int64) async throws {
        guard !settlements.isEmpty else { return }
        var perUser: [String: Int64] = [:]
        var perKey: [String: Int64] = [:]
        for s in settlements {
            perUser[s.userID, default: 0] += s.total.micros
            perKey[s.keyID, default: 0] += s.total.micros
        }
        for (user, total) in perUser.sorted(by: { $0.key < $1.key }) {
            try await db.raw(
                "UPDATE wallets SET balance = balance - \(bind: total), updated_at = \(bind: at) WHERE user_id = \(bind: user)"
            ).run()
        }
        for (key, total) in perKey.sorted(by: { $0.key < $1.key }) {
            try await db.raw(
                "UPDATE api_keys SET spent = spent + \(bind: total), last_used_at = \(bind: at) WHERE id = \(bind: key)"
            ).run()
        }
        for chunk in settlements.chunked(100) {
            try await settleInsert.run(
                chunk.map { s in
                    [
                        .text(s.entryID), .text(s.userID), .text(LedgerEntryKind.settle.rawValue),
                        .integer(-s.total.micros), .text(s.keyID), .null, .integer(at),
                    ]
                }, on: db)
        }
    }

    static let settleInsert = BatchInsert(
        into: "ledger_entries", columns: ["id", "user_id", "kind", "amount", "reference", "reason", "created_at"])

    /// Checks `balance == sum(entries)` for every wallet; returns the wallets where it fails.
    public func verifyLedger() async throws -> [LedgerMismatch] {
        try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            let rows = try await db.raw(
                """
                SELECT w.user_id AS user_id, w.balance AS balance,
                    (SELECT CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM ledger_entries e WHERE e.user_id = w.user_id) AS total
                FROM wallets w
                """
            ).all()
            var out: [LedgerMismatch] = []
            for row in rows {
                let balance = try row.int64("balance")
                let total = try row.int64("total")
                if balance != total {
                    out.append(
                        LedgerMismatch(
                            userID: try row.string("user_id"), balance: Money(micros: balance),
                            sumOfEntries: Money(micros: total)))
                }
            }
            return out
        }
    }

    static func insertEntry(
        _ db: any SQLDatabase, userID: String, kind: LedgerEntryKind, amount: Int64, reference: String?,
        reason: String?, at: Int64, sourceKey: String? = nil
    ) async throws {
        try await db.raw(
            """
            INSERT INTO ledger_entries (id, user_id, kind, amount, reference, reason, created_at, source_key)
            VALUES (\(bind: WharfID.make("led")), \(bind: userID), \(bind: kind.rawValue), \(bind: amount),
                \(bind: reference), \(bind: reason), \(bind: at), \(bind: sourceKey))
            """
        ).run()
    }
}
