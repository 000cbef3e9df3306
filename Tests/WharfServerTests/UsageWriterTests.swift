import Foundation
import Testing
import WharfCore
import WharfStorage

/// The batched usage writer never lets one unwritable row hold up, or lose, the others.
@Suite("Usage writer: rows that cannot be written")
struct UsageWriterTests {
    static func record(_ id: String, user: String, key: String, cost: Int64) -> UsageRecord {
        UsageRecord(
            id: id, createdAt: 1_780_000_000_000, userID: user, keyID: key, model: "gpt-4o-mini", channelID: nil,
            endpoint: "chat/completions", usage: TokenUsage(promptTokens: 1, completionTokens: 1),
            cost: Money(micros: cost),
            latencyMillis: 1, timeToFirstTokenMillis: nil, status: "ok", stream: false, clientIP: nil)
    }

    @Test("A row whose account is gone is set aside, counted with its amount; the bystander's rows are all written")
    func poisonedRowSetAside() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.usageFlushMillis = 60_000 }
        try await RelayHarness.with(tune: tune) { h in
            let key = try #require(try await h.store.keys(userID: h.user.id).first).id
            let writer = h.services.writer
            writer.enqueue(Self.record("req_a1", user: h.user.id, key: key, cost: 100))
            writer.enqueue(Self.record("req_ghost", user: "usr_deleted_underneath", key: "key_gone", cost: 777))
            writer.enqueue(Self.record("req_a2", user: h.user.id, key: key, cost: 200))
            await writer.flush()
            #expect(writer.backlog == 0, "nothing blocks the queue")
            #expect(writer.setAsideSummary.rows == 1)
            #expect(writer.setAsideSummary.amount == Money(micros: 777))
            let ready = try await h.request("/readyz", method: .GET)
            #expect(ready.status == 503)
            #expect(ready.body.contains("set aside"))
            // Later rows are written at once, not behind the poisoned one.
            writer.enqueue(Self.record("req_a3", user: h.user.id, key: key, cost: 300))
            await writer.flush()
            #expect(try await h.store.balance(userID: h.user.id) == Money(micros: startBalance - 600))
            #expect(
                try await h.store.usageRecords(userID: h.user.id).map(\.id).sorted() == ["req_a1", "req_a2", "req_a3"])
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }
}
