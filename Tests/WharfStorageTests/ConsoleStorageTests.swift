import Foundation
import SQLKit
import Synchronization
import Testing
import WharfCore
import WharfStorage

/// A clock the scenario moves by hand.
final class HandClock: Sendable {
    let now = Atomic<Int64>(1_800_000_000_000)
    func advance(_ millis: Int64) { now.add(millis, ordering: .relaxed) }
    var clock: WharfClock {
        WharfClock(
            nowMillis: { self.now.load(ordering: .relaxed) }, monotonicMillis: { self.now.load(ordering: .relaxed) })
    }
}

extension TestDatabase {
    /// The same database seen through a store with a hand-moved clock.
    func store(clock: HandClock) -> WharfStore {
        WharfStore(database: database, secrets: store.secrets, clock: clock.clock)
    }
}

@Suite("Console storage: sessions, one-time links, outbox, audit chain, request log")
struct ConsoleStorageTests {
    @Test(
        "Stored entries expire, refuse a duplicate key, keep or renew their expiry, and list by owner",
        arguments: Backend.available)
    func persistEntries(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let hand = HandClock()
            let store = t.store(clock: hand)
            let start = hand.now.load(ordering: .relaxed)
            try await store.persistCreate(
                PersistEntry(key: "session:a", value: "1", owner: "u1", expiresAt: start + 1000))
            await #expect(throws: StoreError.self) {
                try await store.persistCreate(PersistEntry(key: "session:a", value: "2", owner: "u1", expiresAt: nil))
            }
            try await store.persistSet(
                PersistEntry(key: "session:a", value: "3", owner: "u1", expiresAt: nil), keepExpiry: true)
            let kept = try await store.persistGet("session:a")
            #expect(kept?.value == "3")
            #expect(kept?.expiresAt == start + 1000, "the expiry was kept")
            hand.advance(1000)
            #expect(try await store.persistGet("session:a") == nil, "expired")
            try await store.persistCreate(PersistEntry(key: "session:a", value: "4", owner: "u1", expiresAt: nil))
            #expect(try await store.persistGet("session:a")?.value == "4", "an expired key can be created again")
            try await store.persistCreate(PersistEntry(key: "session:b", value: "5", owner: "u1", expiresAt: nil))
            try await store.persistCreate(PersistEntry(key: "session:c", value: "6", owner: "u2", expiresAt: nil))
            try await store.persistCreate(PersistEntry(key: "other:d", value: "7", owner: "u1", expiresAt: nil))
            let listed = try await store.persistEntries(owner: "u1", prefix: "session:").map(\.key).sorted()
            #expect(listed == ["session:a", "session:b"])
            try await store.persistRemove(owner: "u1", prefix: "session:", keeping: "session:b")
            let left = try await store.persistEntries(owner: "u1", prefix: "session:").map(\.key)
            #expect(left == ["session:b"])
            let others = try await store.persistGet("session:c")
            let unrelated = try await store.persistGet("other:d")
            #expect(others != nil && unrelated != nil)
            #expect(try await store.persistRemove("session:b"))
            #expect(try await store.persistRemove("session:b") == false)
        }
    }

    @Test("Disabling an account ends its sessions", arguments: Backend.available)
    func disablingEndsSessions(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("s@example.com")
            try await t.store.persistCreate(PersistEntry(key: "session:x", value: "{}", owner: user.id, expiresAt: nil))
            try await t.store.setStatus(userID: user.id, status: .disabled)
            #expect(try await t.store.persistGet("session:x") == nil)
        }
    }

    @Test(
        "A one-time link works once, not after it expires, and a newer link replaces an older one",
        arguments: Backend.available)
    func oneTimeTokens(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let hand = HandClock()
            let store = t.store(clock: hand)
            let user = try await store.makeUser("o@example.com")
            try await store.issueOneTimeToken(
                hash: "h1", userID: user.id, purpose: .resetPassword, ttlMillis: 3_600_000)
            #expect(try await store.consumeOneTimeToken(hash: "h1", purpose: .verifyEmail) == nil, "wrong purpose")
            #expect(try await store.consumeOneTimeToken(hash: "h1", purpose: .resetPassword) == user.id)
            #expect(try await store.consumeOneTimeToken(hash: "h1", purpose: .resetPassword) == nil, "used")
            try await store.issueOneTimeToken(
                hash: "h2", userID: user.id, purpose: .resetPassword, ttlMillis: 3_600_000)
            try await store.issueOneTimeToken(
                hash: "h3", userID: user.id, purpose: .resetPassword, ttlMillis: 3_600_000)
            #expect(try await store.consumeOneTimeToken(hash: "h2", purpose: .resetPassword) == nil, "replaced")
            hand.advance(3_600_001)
            #expect(try await store.consumeOneTimeToken(hash: "h3", purpose: .resetPassword) == nil, "expired")
        }
    }

    @Test("Queued mail is sealed at rest, retried with a limit, and erased once sent", arguments: Backend.available)
    func outbox(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let hand = HandClock()
            let store = t.store(clock: hand)
            let secretLink = "https://wharf.example/verify?token=very-secret-token"
            let id = try await store.enqueueMail(
                userID: nil, kind: "verify_email", recipient: "r@example.com", message: secretLink)
            let raw = try await t.database.withConnection { db in
                try await db.raw("SELECT recipient_ciphertext, message_ciphertext FROM email_outbox").all()
            }
            let rawText = try raw.map {
                try ($0.decode(column: "recipient_ciphertext", as: String.self))
                    + ($0.decode(column: "message_ciphertext", as: String.self))
            }.joined()
            #expect(!rawText.contains("very-secret-token") && !rawText.contains("r@example.com"))
            let due = try await store.dueMail()
            #expect(due.map(\.message) == [secretLink])
            try await store.markMailFailed(
                id: id, error: "451 try later", permanent: false, retryAt: hand.now.load(ordering: .relaxed) + 60_000,
                maxAttempts: 3)
            #expect(try await store.dueMail().isEmpty, "not due before the retry time")
            hand.advance(60_000)
            #expect(try await store.dueMail().count == 1)
            try await store.markMailSent(id: id)
            #expect(try await store.dueMail().isEmpty)
            let after = try await t.database.withConnection { db in
                try await db.raw("SELECT recipient_ciphertext, message_ciphertext, status FROM email_outbox").first()
            }
            #expect(try after?.decode(column: "message_ciphertext", as: String?.self) == nil)
            #expect(try after?.decode(column: "status", as: String.self) == "sent")

            let doomed = try await store.enqueueMail(userID: nil, kind: "k", recipient: "x@example.com", message: "m")
            try await store.markMailFailed(
                id: doomed, error: "550 no such user", permanent: true, retryAt: 0, maxAttempts: 8)
            #expect(try await store.outboxCounts()["failed"] == 1)
        }
    }

    @Test(
        "The audit chain verifies, and a changed or deleted row breaks it where it happened",
        arguments: Backend.available)
    func auditChain(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            for i in 1...5 {
                try await t.store.audit(
                    actorID: "usr_admin", action: "user.role", target: "usr_\(i)", detail: "role=support")
            }
            #expect(try await t.store.verifyAudit().ok)
            #expect(try await t.store.verifyAudit().rows == 5)
            try await t.database.withConnection { db in
                try await db.raw("UPDATE audit_log SET detail = 'role=root' WHERE seq = 3").run()
            }
            #expect(try await t.store.verifyAudit().brokenAt == 3)
            try await t.database.withConnection { db in
                try await db.raw("UPDATE audit_log SET detail = 'role=support' WHERE seq = 3").run()
                try await db.raw("DELETE FROM audit_log WHERE seq = 2").run()
            }
            #expect(try await t.store.verifyAudit().brokenAt == 2, "a deleted row is missing from the sequence")
        }
    }

    @Test("Concurrent audit appends keep one unbroken chain", arguments: Backend.available)
    func concurrentAudit(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask { try await t.store.audit(actorID: nil, action: "test", target: "t\(i)") }
                }
                try await group.waitForAll()
            }
            let verdict = try await t.store.verifyAudit()
            #expect(verdict.ok && verdict.rows == 20)
        }
    }

    @Test("Five failed sign-ins in a row lock the account; a success clears the count", arguments: Backend.available)
    func loginFailures(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("l@example.com")
            for _ in 0..<3 { _ = try await t.store.recordLoginFailure(userID: user.id, lockAfter: 5, lockMillis: 1000) }
            try await t.store.recordLoginSuccess(userID: user.id)
            for _ in 0..<4 {
                #expect(try await t.store.recordLoginFailure(userID: user.id, lockAfter: 5, lockMillis: 1000) == nil)
            }
            #expect(try await t.store.recordLoginFailure(userID: user.id, lockAfter: 5, lockMillis: 1000) != nil)
            #expect(try await t.store.user(id: user.id)?.lockedUntil != nil)
        }
    }

    @Test(
        "The request log filters by owner, model, key, status and time, and sums per day and model",
        arguments: Backend.available)
    func usageQueries(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let a = try await t.store.makeUser("a@example.com")
            let b = try await t.store.makeUser("b@example.com")
            let day: Int64 = 20_000 * 86_400_000
            func record(_ user: UserRecord, _ model: String, _ at: Int64, _ status: String = "ok", cost: Int64 = 10)
                -> UsageRecord
            {
                .forTest(
                    userID: user.id, keyID: "key_\(user.id)", cost: cost, model: model, createdAt: at, status: status,
                    usage: TokenUsage(promptTokens: 3, completionTokens: 4, cachedTokens: 0))
            }
            try await t.store.writeUsage(
                [
                    record(a, "m1", day + 1), record(a, "m1", day + 2, "upstream_error", cost: 0),
                    record(a, "m2", day + 86_400_000),
                    record(b, "m1", day + 3),
                ])
            #expect(try await t.store.usageCount(UsageFilter(userID: a.id)) == 3)
            #expect(try await t.store.usageCount(UsageFilter(userID: a.id, model: "m1")) == 2)
            #expect(try await t.store.usageCount(UsageFilter(userID: a.id, status: "ok")) == 2)
            #expect(try await t.store.usageCount(UsageFilter(userID: a.id, fromMillis: day + 86_400_000)) == 1)
            #expect(try await t.store.usageCount(UsageFilter(userID: a.id, keyID: "key_\(b.id)")) == 0)
            let daily = try await t.store.dailyUsage(UsageFilter(userID: a.id))
            #expect(
                daily == [
                    DailyUsage(day: 20_000, requests: 2, cost: Money(micros: 10)),
                    DailyUsage(day: 20_001, requests: 1, cost: Money(micros: 10)),
                ])
            let models = try await t.store.usageByModel(UsageFilter(userID: a.id))
            #expect(models.map(\.model) == ["m1", "m2"])
            #expect(models.first?.tokens == 14)
            let page = try await t.store.usagePage(UsageFilter(userID: a.id), limit: 2, offset: 0)
            #expect(page.map(\.model) == ["m2", "m1"], "newest first")
        }
    }
}
