import Testing
import WharfCore
import WharfStorage

@Suite("Money and the ledger")
struct LedgerTests {
    @Test("A grant raises the balance and the ledger still adds up", arguments: Backend.available)
    func grantKeepsLedgerInvariant(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("alice@example.com")
            let balance = try await t.store.post(userID: user.id, kind: .grant, amount: try Money(parsing: "12.50"))
            #expect(balance == Money(micros: 12_500_000))
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 12_500_000))
            #expect(try await t.store.verifyLedger().isEmpty)
        }
    }

    @Test("A negative adjustment can never take the balance below zero", arguments: Backend.available)
    func adjustmentCannotOverdraw(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("bob@example.com", balance: Money(micros: 1_000))
            await #expect(throws: StoreError.insufficientBalance) {
                _ = try await t.store.post(userID: user.id, kind: .adjustment, amount: Money(micros: -1_001))
            }
            _ = try await t.store.post(userID: user.id, kind: .adjustment, amount: Money(micros: -1_000), reason: "fix")
            #expect(try await t.store.balance(userID: user.id) == .zero)
            #expect(try await t.store.verifyLedger().isEmpty)
        }
    }

    @Test(
        "After an overage took the balance below zero, a grant smaller than the debt is accepted",
        arguments: Backend.available)
    func grantBelowDebt(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("dora@example.com", balance: Money(micros: 1_000))
            let (key, _) = try await t.store.createKey(userID: user.id, name: "k")
            _ = try await t.store.writeUsage([
                .forTest(id: "req_over", userID: user.id, keyID: key.id, cost: 5_000)
            ])
            #expect(try await t.store.balance(userID: user.id) == Money(micros: -4_000))
            _ = try await t.store.post(userID: user.id, kind: .grant, amount: Money(micros: 3_000))
            #expect(try await t.store.balance(userID: user.id) == Money(micros: -1_000))
            await #expect(throws: StoreError.insufficientBalance) {
                _ = try await t.store.post(userID: user.id, kind: .adjustment, amount: Money(micros: -1), reason: "x")
            }
            #expect(try await t.store.verifyLedger().isEmpty)
        }
    }

    @Test("Grants must be positive and name an existing user", arguments: Backend.available)
    func grantsAreValidated(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("carol@example.com")
            await #expect(throws: StoreError.self) {
                _ = try await t.store.post(userID: user.id, kind: .grant, amount: Money(micros: -5))
            }
            await #expect(throws: StoreError.notFound("user")) {
                _ = try await t.store.post(userID: "usr_nobody", kind: .grant, amount: Money(micros: 5))
            }
        }
    }

    @Test(
        "100 concurrent holds against a balance covering exactly 10 give exactly 10 successes",
        arguments: Backend.available)
    func concurrentHoldsNeverOverdraw(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("dave@example.com", balance: Money(micros: 10 * 7_000))
            let store = t.store
            let results = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await store.placeHold(userID: user.id, amount: Money(micros: 7_000)) }
                }
                var out: [String?] = []
                for try await r in group { out.append(r) }
                return out
            }
            let holds = results.compactMap { $0 }
            #expect(holds.count == 10)
            #expect(try await store.balance(userID: user.id) == .zero)
            #expect(try await store.verifyLedger().isEmpty)

            try await store.settleHold(id: holds[0], cost: Money(micros: 2_500))
            try await store.releaseHold(id: holds[1])
            // A settled hold returns its unused part; a released one returns everything.
            #expect(try await store.balance(userID: user.id) == Money(micros: 4_500 + 7_000))
            await #expect(throws: StoreError.self) { try await store.releaseHold(id: holds[0]) }
            #expect(try await store.verifyLedger().isEmpty)
        }
    }

    @Test("Settling never charges more than was held", arguments: Backend.available)
    func settleIsCappedAtHold(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("erin@example.com", balance: Money(micros: 10_000))
            let hold = try #require(try await t.store.placeHold(userID: user.id, amount: Money(micros: 4_000)))
            try await t.store.settleHold(id: hold, cost: Money(micros: 9_999))
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 6_000))
            #expect(try await t.store.verifyLedger().isEmpty)
        }
    }

    @Test(
        "A batch of usage charges each key once: one settle entry per key, named by every charged record",
        arguments: Backend.available)
    func usageChargesPostToLedger(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("frank@example.com", balance: Money(micros: 1_000_000))
            let (first, _) = try await t.store.createKey(userID: user.id, name: "first")
            let (second, _) = try await t.store.createKey(userID: user.id, name: "second")
            func record(_ i: Int, key: String, cost: Int64) -> UsageRecord {
                .forTest(id: "req_\(i)", userID: user.id, keyID: key, cost: cost)
            }
            let settlements = try await t.store.writeUsage([
                record(0, key: first.id, cost: 100), record(1, key: second.id, cost: 40),
                record(2, key: first.id, cost: 0), record(3, key: first.id, cost: 200),
            ])
            #expect(settlements.map(\.keyID) == [first.id, second.id])
            #expect(settlements.map(\.total) == [Money(micros: 300), Money(micros: 40)])
            #expect(settlements.map(\.requests) == [2, 1])
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 999_660))
            #expect(try await t.store.usageRecords(userID: user.id).count == 4)
            let spent = Dictionary(
                uniqueKeysWithValues: try await t.store.keys(userID: user.id).map { ($0.id, $0.spent) })
            #expect(spent == [first.id: Money(micros: 300), second.id: Money(micros: 40)])
            let lines = try await t.store.ledgerLines(userID: user.id, limit: 10, offset: 0).filter {
                $0.kind == "settle"
            }
            #expect(Set(lines.map(\.reference)) == [first.id, second.id], "a usage charge refers to its key")
            #expect(Set(lines.map(\.amount)) == [Money(micros: -300), Money(micros: -40)])
            let links = try await t.store.database.withConnection { db in
                try await db.raw("SELECT id, ledger_entry_id FROM usage_records ORDER BY id").all().map {
                    [
                        try $0.decode(column: "id", as: String.self),
                        try $0.decode(column: "ledger_entry_id", as: String?.self) ?? "none",
                    ]
                }
            }
            let entry = Dictionary(uniqueKeysWithValues: settlements.map { ($0.keyID, $0.entryID) })
            #expect(
                links == [
                    ["req_0", entry[first.id]!], ["req_1", entry[second.id]!], ["req_2", "none"],
                    ["req_3", entry[first.id]!],
                ], "a record that cost nothing names no entry")
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyUsageSettlements().isEmpty)
        }
    }

    @Test(
        "ledger verify finds a usage charge that differs from its records, and records naming no charge",
        arguments: Backend.available)
    func tamperedUsageChargeIsFound(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("grace@example.com", balance: Money(micros: 1_000_000))
            let (key, _) = try await t.store.createKey(userID: user.id, name: "k")
            let records = (0..<2).map { i in
                UsageRecord.forTest(id: "req_\(i)", userID: user.id, keyID: key.id, cost: 250)
            }
            let entryID = try #require(try await t.store.writeUsage(records).first?.entryID)
            // Someone lowers one request's recorded cost: the entry no longer matches its records.
            try await t.store.database.withConnection { db in
                try await db.raw("UPDATE usage_records SET cost = 1 WHERE id = 'req_1'").run()
                try await db.raw("UPDATE usage_records SET ledger_entry_id = 'led_gone' WHERE id = 'req_0'").run()
            }
            // A charge of another key, whose record is moved to this user's key, matches no entry of its owner.
            let (other, _) = try await t.store.createKey(userID: user.id, name: "other")
            var moved = records[0]
            moved.id = "req_9"
            moved.keyID = other.id
            let otherEntry = try #require(try await t.store.writeUsage([moved]).first?.entryID)
            try await t.store.database.withConnection { db in
                try await db.raw("UPDATE usage_records SET key_id = \(bind: key.id) WHERE id = 'req_9'").run()
            }
            #expect(try await t.store.verifyLedger().isEmpty, "the balance still equals the entries")
            let expected = [
                SettlementMismatch(entryID: entryID, linkedCost: Money(micros: 1), charged: Money(micros: 500)),
                SettlementMismatch(entryID: "led_gone", linkedCost: Money(micros: 250), charged: nil),
                SettlementMismatch(entryID: otherEntry, linkedCost: Money(micros: 250), charged: nil),
            ]
            #expect(
                try await t.store.verifyUsageSettlements() == expected.sorted { $0.entryID < $1.entryID },
                "in order of entry id")
        }
    }
}
