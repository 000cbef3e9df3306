import SQLKit
import WharfCore

/// One metered request. Holds no content: no prompt, no output, no upstream error text (promise P2).
public struct UsageRecord: Sendable, Equatable {
    public var id: String
    public var createdAt: Int64
    public var userID: String
    public var keyID: String
    public var model: String
    public var channelID: String?
    public var endpoint: String
    public var usage: TokenUsage
    public var cost: Money
    public var latencyMillis: Int64
    public var timeToFirstTokenMillis: Int64?
    /// `ok`, `client_disconnected`, `upstream_cut`, `upstream_error`, …
    public var status: String
    public var stream: Bool
    public var clientIP: String?

    /// Creates a record.
    public init(
        id: String, createdAt: Int64, userID: String, keyID: String, model: String, channelID: String?,
        endpoint: String, usage: TokenUsage, cost: Money, latencyMillis: Int64, timeToFirstTokenMillis: Int64?,
        status: String, stream: Bool, clientIP: String?
    ) {
        self.id = id
        self.createdAt = createdAt
        self.userID = userID
        self.keyID = keyID
        self.model = model
        self.channelID = channelID
        self.endpoint = endpoint
        self.usage = usage
        self.cost = cost
        self.latencyMillis = latencyMillis
        self.timeToFirstTokenMillis = timeToFirstTokenMillis
        self.status = status
        self.stream = stream
        self.clientIP = clientIP
    }
}

extension WharfStore {
    /// Writes usage records and their charges in one transaction (used by the batched writer): multi-row inserts of
    /// the records and of one `settle` ledger entry per charge, and one balance and key-spend update per user and
    /// key of the batch, so a batch costs a handful of statements however many requests it holds.
    public func writeUsage(_ records: [UsageRecord], charges: [Charge]) async throws {
        guard !records.isEmpty || !charges.isEmpty else { return }
        let at = now
        try await database.transaction { db in
            for chunk in records.chunked(50) {
                try await Self.usageInsert.run(
                    chunk.map { r in
                        [
                            r.id, r.createdAt, r.userID, r.keyID, r.model, r.channelID, r.endpoint,
                            r.usage.promptTokens, r.usage.completionTokens, r.usage.cachedTokens, r.cost.micros,
                            r.latencyMillis, r.timeToFirstTokenMillis, r.status, Int64(r.stream ? 1 : 0), r.clientIP,
                        ]
                    }, on: db)
            }
            try await Self.postCharges(charges, db: db, at: at)
        }
    }

    static let usageInsert = BatchInsert(
        into: "usage_records",
        columns: [
            "id", "created_at", "user_id", "key_id", "model", "channel_id", "endpoint", "prompt_tokens",
            "completion_tokens", "cached_tokens", "cost", "latency_ms", "ttft_ms", "status", "stream", "client_ip",
        ])

    /// Usage records of a user, newest first.
    public func usageRecords(userID: String, limit: Int = 100) async throws -> [UsageRecord] {
        try await database.withConnection { db in
            try await db.raw(
                "SELECT * FROM usage_records WHERE user_id = \(bind: userID) ORDER BY created_at DESC LIMIT \(bind: limit)"
            ).all().map(Self.decodeUsage)
        }
    }

    static func decodeUsage(_ row: any SQLRow) throws -> UsageRecord {
        UsageRecord(
            id: try row.string("id"), createdAt: try row.int64("created_at"), userID: try row.string("user_id"),
            keyID: try row.string("key_id"), model: try row.string("model"),
            channelID: try row.optionalString("channel_id"), endpoint: try row.string("endpoint"),
            usage: TokenUsage(
                promptTokens: try row.int64("prompt_tokens"),
                completionTokens: try row.int64("completion_tokens"),
                cachedTokens: try row.int64("cached_tokens")),
            cost: Money(micros: try row.int64("cost")), latencyMillis: try row.int64("latency_ms"),
            timeToFirstTokenMillis: try row.optionalInt64("ttft_ms"), status: try row.string("status"),
            stream: try row.int64("stream") != 0, clientIP: try row.optionalString("client_ip"))
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
