import Foundation
import SQLKit
import Testing
import WharfCore
import WharfStorage

/// A clock the scenario sets: records are written "in the past", then retention runs "now".
final class SettableTime: @unchecked Sendable {
    private let lock = NSLock()
    private var millis: Int64
    init(_ millis: Int64) { self.millis = millis }
    var now: Int64 {
        get { lock.withLock { millis } }
        set { lock.withLock { millis = newValue } }
    }
    var clock: WharfClock { WharfClock(nowMillis: { self.now }, monotonicMillis: { self.now }) }
}

let day: Int64 = 86_400_000
/// 2030-01-01T00:00:00Z: "now" of the retention scenarios.
let retentionNow: Int64 = 1_893_456_000_000

extension TestDatabase {
    /// The same database seen through a store with `clock`.
    func store(clock: WharfClock) -> WharfStore { WharfStore(database: database, secrets: store.secrets, clock: clock) }
}

@Suite("Retention schedule, enforced")
struct RetentionTests {
    @Test(
        "One day short of its limit a record stays, one day past it is gone; totals, balances and the ledger hold",
        arguments: Backend.available)
    func schedule(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let time = SettableTime(retentionNow - 2000 * day)
            let store = t.store(clock: time.clock)
            let user = try await store.makeUser("ret@example.com")
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            // Ledger: a grant 1826 days ago (past the 1825-day payment window) and one 1824 days ago.
            time.now = retentionNow - 1826 * day
            _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 7_000_000))
            time.now = retentionNow - 1824 * day
            _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 3_000_000))
            // Usage: one request 91 days ago (past 90), one 89 days ago; each charged in its own batch.
            for (id, age, cost) in [("req_old", 91 as Int64, 1_250 as Int64), ("req_new", 89, 2_500)] {
                time.now = retentionNow - age * day
                try await store.writeUsage([
                    .forTest(id: id, userID: user.id, keyID: key.id, cost: cost, createdAt: time.now)
                ])
            }
            // Support: a message 366 days ago and one 364 days ago (support keeps 365).
            time.now = retentionNow - 366 * day
            let oldTicket = try await store.createSupportMessage(
                userID: user.id, email: "ret@example.com", subject: "old", body: "old")
            time.now = retentionNow - 364 * day
            let newTicket = try await store.createSupportMessage(
                userID: user.id, email: "ret@example.com", subject: "new", body: "new")
            // Audit: a row 1096 days ago and one 1094 days ago (audit keeps 1095).
            time.now = retentionNow - 1096 * day
            try await store.audit(actorID: user.id, action: "test.old", target: nil)
            time.now = retentionNow - 1094 * day
            try await store.audit(actorID: user.id, action: "test.new", target: nil)

            time.now = retentionNow
            let filter = UsageFilter(userID: user.id)
            let balanceBefore = try await store.balance(userID: user.id)
            let dailyBefore = try await store.dailyUsage(filter)
            let byModelBefore = try await store.usageByModel(filter)
            #expect(balanceBefore == Money(micros: 10_000_000 - 3_750))

            let schedule = RetentionSchedule()
            let dry = try await store.runRetention(schedule: schedule, nowMillis: retentionNow, dryRun: true)
            #expect(dry.lines.first { $0.name == "usage_records" }?.rows == 1)
            #expect(dry.lines.first { $0.name == "support_messages" }?.rows == 1)
            #expect(try await store.usageRecords(userID: user.id).count == 2, "a dry run deletes nothing")

            let report = try await store.runRetention(schedule: schedule, nowMillis: retentionNow, dryRun: false)
            func rows(_ name: String) -> Int64? { report.lines.first { $0.name == name }?.rows }
            #expect(rows("usage_records") == 1)
            #expect(rows("support_messages") == 1)
            #expect(rows("ledger_entries") == 1)
            #expect(rows("audit_log") == 1)

            #expect(try await store.usageRecords(userID: user.id).map(\.id) == ["req_new"])
            #expect(try await store.supportMessage(id: oldTicket.id) == nil)
            #expect(try await store.supportMessage(id: newTicket.id) != nil)
            // Money and totals are whole: the balance, every ledger check, the dashboard's daily and per-model sums.
            #expect(try await store.balance(userID: user.id) == balanceBefore)
            #expect(try await store.verifyLedger().isEmpty)
            #expect(try await store.verifyUsageSettlements().isEmpty)
            #expect(try await store.verifyOrders().isEmpty)
            #expect(try await store.dailyUsage(filter) == dailyBefore)
            #expect(try await store.usageByModel(filter) == byModelBefore)
            let lines = try await store.ledgerLines(userID: user.id, limit: 100, offset: 0)
            let carried = lines.filter { $0.kind == "carried" }
            #expect(carried.count == 1)
            #expect(carried.first?.amount == Money(micros: 7_000_000), "the old grant is carried, not lost")
            // The audit chain is still sound, and says where it was cut.
            let audit = try await store.verifyAudit()
            #expect(audit.ok, "\(audit.problem ?? "")")
            let actions = try await store.auditEntries(limit: 10).map(\.action)
            #expect(actions.contains("test.new"))
            #expect(!actions.contains("test.old"))
            #expect(actions.contains("audit.prune"))

            // A second run finds nothing more.
            let again = try await store.runRetention(schedule: schedule, nowMillis: retentionNow, dryRun: false)
            #expect(again.total == 0, "\(again.lines.filter { $0.rows > 0 })")
            #expect(try await store.balance(userID: user.id) == balanceBefore)
        }
    }

    @Test("Usage records charged by one ledger entry leave together, into one rollup", arguments: Backend.available)
    func wholeEntries(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let time = SettableTime(retentionNow - 100 * day)
            let store = t.store(clock: time.clock)
            let user = try await store.makeUser("batch@example.com", balance: Money(micros: 1_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            // One batch: two records past the window and one just inside it, charged by one entry.
            try await store.writeUsage([
                .forTest(id: "a", userID: user.id, keyID: key.id, cost: 10, createdAt: retentionNow - 95 * day),
                .forTest(id: "b", userID: user.id, keyID: key.id, cost: 20, createdAt: retentionNow - 94 * day),
                .forTest(id: "c", userID: user.id, keyID: key.id, cost: 40, createdAt: retentionNow - 89 * day),
            ])
            let first = try await store.runRetention(
                schedule: RetentionSchedule(), nowMillis: retentionNow, dryRun: false)
            #expect(
                first.lines.first { $0.name == "usage_records" }?.rows == 0, "the entry still charges a kept record")
            #expect(try await store.verifyUsageSettlements().isEmpty)
            // Two days later all three are past: they go together, and the totals stay.
            let later = retentionNow + 2 * day
            let second = try await store.runRetention(schedule: RetentionSchedule(), nowMillis: later, dryRun: false)
            #expect(second.lines.first { $0.name == "usage_records" }?.rows == 3)
            #expect(try await store.verifyUsageSettlements().isEmpty)
            let daily = try await store.dailyUsage(UsageFilter(userID: user.id))
            #expect(daily.reduce(0) { $0 + $1.requests } == 3)
            #expect(daily.reduce(Int64(0)) { $0 + $1.cost.micros } == 70)
        }
    }

    @Test("The schedule's settings: names, defaults, and a usage window longer than the ledger's is refused")
    func settings() throws {
        let defaults = try WharfConfig.resolve(flags: [:], environment: [:], file: [:]).retention
        #expect(defaults.entries.map(\.days) == [90, 180, 365, 1825, 1095, 30])
        let set = try WharfConfig.resolve(
            flags: [:], environment: ["WHARF_RETENTION_USAGE_DAYS": "30"], file: ["retention_audit_days": "400"])
        #expect(set.retention.usageDays == 30)
        #expect(set.retention.auditDays == 400)
        #expect(throws: ConfigError.self) {
            try WharfConfig.resolve(
                flags: [:], environment: ["WHARF_RETENTION_USAGE_DAYS": "2000"], file: [:])
        }
        #expect(throws: ConfigError.self) {
            try WharfConfig.resolve(flags: [:], environment: ["WHARF_RETENTION_SUPPORT_DAYS": "90d"], file: [:])
        }
    }

    @Test("A heavy account's old ledger is carried in batches, and the books balance", arguments: Backend.available)
    func carriedInBatches(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let time = SettableTime(retentionNow - 1900 * day)
            let store = t.store(clock: time.clock)
            let user = try await store.makeUser("heavy@example.com")
            let count = WharfStore.retentionBatch + 150
            for i in 0..<count {
                time.now = retentionNow - 1900 * day + Int64(i) * 1000
                _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: Int64(i + 1)))
            }
            time.now = retentionNow
            let balance = try await store.balance(userID: user.id)
            let report = try await store.runRetention(
                schedule: RetentionSchedule(), nowMillis: retentionNow, dryRun: false)
            #expect(report.lines.first { $0.name == "ledger_entries" }?.rows == Int64(count))
            let lines = try await store.ledgerLines(userID: user.id, limit: 10, offset: 0)
            #expect(lines.map(\.kind) == ["carried"], "one carried entry for the whole run")
            #expect(lines.first?.amount == balance)
            #expect(try await store.balance(userID: user.id) == balance)
            #expect(try await store.verifyLedger().isEmpty)
        }
    }

    @Test("The audit verifier accepts a prune that stopped part-way, and still finds rows deleted by hand")
    func interruptedPrune() async throws {
        try await TestDatabase.with(.sqlite) { t in
            let store = t.store
            for i in 1...6 { try await store.audit(actorID: nil, action: "test.\(i)", target: nil) }
            let sixth = try #require(try await store.auditEntries(limit: 10).first { $0.seq == 6 })
            // The prune row names row 6, but the run stopped after deleting rows 1 to 3.
            try await store.audit(
                actorID: nil, action: "audit.prune", target: nil, detail: "through=6 hash=\(sixth.hash)")
            try await t.database.withConnection { db in try await db.raw("DELETE FROM audit_log WHERE seq <= 3").run() }
            let partial = try await store.verifyAudit()
            #expect(partial.ok, "\(partial.problem ?? "")")
            // Rows deleted beyond what a prune row names are still found.
            try await t.database.withConnection { db in try await db.raw("DELETE FROM audit_log WHERE seq = 7").run() }
            #expect(try await store.verifyAudit().ok == false)
        }
        try await TestDatabase.with(.sqlite) { t in
            for i in 1...4 { try await t.store.audit(actorID: nil, action: "test.\(i)", target: nil) }
            try await t.database.withConnection { db in try await db.raw("DELETE FROM audit_log WHERE seq <= 2").run() }
            let forged = try await t.store.verifyAudit()
            #expect(!forged.ok, "old rows deleted without a prune row are reported")
        }
    }

    @Test("Two retention runs at once (a server's job and the CLI) lose no money", arguments: Backend.available)
    func concurrentRuns(_ backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let time = SettableTime(retentionNow - 1900 * day)
            let store = t.store(clock: time.clock)
            let user = try await store.makeUser("twice@example.com")
            for i in 0..<(2 * WharfStore.retentionBatch + 300) {
                time.now = retentionNow - 1900 * day + Int64(i) * 1000
                _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 1))
            }
            let balance = try await store.balance(userID: user.id)
            async let first = store.runRetention(schedule: RetentionSchedule(), nowMillis: retentionNow, dryRun: false)
            async let second = store.runRetention(
                schedule: RetentionSchedule(), nowMillis: retentionNow, dryRun: false)
            _ = try await (first, second)
            #expect(try await store.verifyLedger().isEmpty)
            #expect(try await store.balance(userID: user.id) == balance)
            let lines = try await store.ledgerLines(userID: user.id, limit: 10, offset: 0)
            #expect(lines.reduce(Int64(0)) { $0 + $1.amount.micros } == balance.micros)
        }
    }
}
