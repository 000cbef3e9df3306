import Foundation
import Testing
import WharfCore
import WharfStorage

/// Redemption codes: stored only as keyed hashes, redeemed once under any concurrency (the one-api double-spend,
/// CVE-2026-11465, was a lock that was not a lock), refused when expired or disabled.
@Suite("Payments: redemption codes")
struct RedemptionCodesTests {
    @Test(
        "Twenty concurrent redemptions of one code by twenty accounts credit exactly one", arguments: Backend.available)
    func concurrentRedemptionsCreditOnce(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let (_, codes) = try await t.store.createRedemptionCodes(
                count: 1, credit: try Money(parsing: "2.5"), expiresAt: nil, createdBy: nil)
            let code = try #require(codes.first)
            var users: [UserRecord] = []
            for i in 0..<20 { users.append(try await t.store.makeUser("r\(i)@example.com")) }
            let outcomes = try await withThrowingTaskGroup(of: RedeemOutcome.self) { group in
                for user in users {
                    group.addTask { try await t.store.redeemCode(code, userID: user.id) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .credited(Money(micros: 2_500_000)) }.count == 1)
            var total = Money.zero
            for user in users { total.micros += try await t.store.balance(userID: user.id).micros }
            #expect(total == Money(micros: 2_500_000))
            #expect(try await t.store.verifyLedger().isEmpty)
        }
    }

    @Test(
        "Codes are typed loosely but stored only as keyed hashes and a four-character hint",
        arguments: Backend.available)
    func storedHashed(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let (_, codes) = try await t.store.createRedemptionCodes(
                count: 3, credit: Money(micros: 1_000_000), expiresAt: nil, createdBy: nil)
            let rows = try await t.database.withConnection { db in
                try await db.raw("SELECT * FROM redemption_codes").all()
            }
            let normalized = codes.compactMap(RedemptionCodeText.normalize)
            #expect(normalized.count == 3)
            for row in rows {
                let hash = try row.decode(column: "code_hash", as: String.self)
                #expect(!normalized.contains(where: { hash.localizedCaseInsensitiveContains($0) }))
                #expect(try row.decode(column: "hint", as: String.self).count == 4)
            }
            let user = try await t.store.makeUser("loose@example.com")
            // Lower case, spaces for dashes, O for 0 and l for 1, without the prefix.
            let typed = String(codes[0].dropFirst(5)).lowercased().replacingOccurrences(of: "-", with: " ")
                .replacingOccurrences(of: "0", with: "o").replacingOccurrences(of: "1", with: "l")
            #expect(try await t.store.redeemCode(typed, userID: user.id) == .credited(Money(micros: 1_000_000)))
            #expect(try await t.store.redeemCode(codes[0], userID: user.id) == .refused)
        }
    }

    @Test("Expired, disabled and made-up codes are refused with one answer", arguments: Backend.available)
    func refusals(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("no@example.com")
            let (_, expired) = try await t.store.createRedemptionCodes(
                count: 1, credit: Money(micros: 1), expiresAt: 1, createdBy: nil)
            let (batch, disabled) = try await t.store.createRedemptionCodes(
                count: 1, credit: Money(micros: 1), expiresAt: nil, createdBy: nil)
            #expect(try await t.store.disableRedemptionBatch(batch) == 1)
            var rng = SystemRandomNumberGenerator()
            for code in [expired[0], disabled[0], RedemptionCodeText.make(using: &rng), "", "WHRF-0000"] {
                #expect(try await t.store.redeemCode(code, userID: user.id) == .refused)
            }
            #expect(try await t.store.balance(userID: user.id) == .zero)
        }
    }
}
