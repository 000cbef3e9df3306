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

    @Test("Usage records and their charges are written together and the ledger adds up", arguments: Backend.available)
    func usageChargesPostToLedger(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("frank@example.com", balance: Money(micros: 1_000_000))
            let (key, _) = try await t.store.createKey(userID: user.id, name: "k")
            let records = (0..<3).map { i in
                UsageRecord(
                    id: "req_\(i)", createdAt: 1, userID: user.id, keyID: key.id, model: "m", channelID: "chn_1",
                    endpoint: "chat/completions", usage: TokenUsage(promptTokens: 10, completionTokens: 5),
                    cost: Money(micros: 100), latencyMillis: 12, timeToFirstTokenMillis: 3, status: "ok", stream: true,
                    clientIP: "127.0.0.0/24")
            }
            try await t.store.writeUsage(
                records,
                charges: records.map { Charge(userID: user.id, keyID: key.id, amount: $0.cost, reference: $0.id) })
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 999_700))
            #expect(try await t.store.usageRecords(userID: user.id).count == 3)
            #expect(try await t.store.keys(userID: user.id).first?.spent == Money(micros: 300))
            #expect(try await t.store.verifyLedger().isEmpty)
        }
    }
}
