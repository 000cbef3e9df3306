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
    /// Region of the upstream channel that served it (what the key's transfer constraints were checked against).
    public var region: String? = nil

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
    /// Writes usage records and charges their cost in one transaction (used by the batched writer): multi-row
    /// inserts of the records, and per user and key of the batch one `settle` ledger entry for the summed cost, one
    /// balance update and one spend update (see ``UsageSettlement``). A batch costs a handful of statements however
    /// many requests it holds. Returns the settlements written.
    @discardableResult
    public func writeUsage(_ records: [UsageRecord]) async throws -> [UsageSettlement] {
        guard !records.isEmpty else { return [] }
        let at = now
        let (settlements, entryOfRecord) = UsageSettlement.group(records) {
            WharfID.timeOrdered("led", nowMillis: at)
        }
        try await database.transaction { db in
            var first = 0
            for chunk in records.chunked(50) {
                let entries = entryOfRecord[first..<first + chunk.count]
                first += chunk.count
                try await Self.usageInsert.run(
                    zip(chunk, entries).map { r, entry in
                        [
                            .text(r.id), .integer(r.createdAt), .text(r.userID), .text(r.keyID), .text(r.model),
                            .text(r.channelID), .text(r.endpoint), .integer(r.usage.promptTokens),
                            .integer(r.usage.completionTokens), .integer(r.usage.cachedTokens),
                            .integer(r.cost.micros), .integer(r.latencyMillis), .integer(r.timeToFirstTokenMillis),
                            .text(r.status), .integer(r.stream ? 1 : 0), .text(r.clientIP), .text(entry),
                            .integer(r.usage.cacheWriteTokens), .integer(r.usage.reasoningTokens), .text(r.region),
                        ]
                    }, on: db)
            }
            try await Self.postSettlements(settlements, db: db, at: at)
            // A request served in the moment between an erasure and its key leaving the servers' tables still keeps
            // no address of the erased person.
            let withAddress = Array(Set(records.filter { $0.clientIP != nil }.map(\.userID)))
            if !withAddress.isEmpty {
                try await db.raw(
                    """
                    UPDATE usage_records SET client_ip = NULL WHERE client_ip IS NOT NULL AND user_id IN (
                        SELECT id FROM users WHERE status = 'erased' AND id IN (\(binds: withAddress)))
                    """
                ).run()
            }
        }
        return settlements
    }

    /// The ids among `ids` that already have a usage record (a replay of records kept on disk skips them, so that
    /// nothing is charged twice).
    public func existingUsageIDs(_ ids: [String]) async throws -> Set<String> {
        var found = Set<String>()
        for chunk in ids.chunked(200) {
            let rows = try await database.withConnection { db in
                try await db.select().column("id").from("usage_records")
                    .where(SQLIdentifier("id"), .in, SQLBind.group(Array(chunk))).all()
            }
            for row in rows { found.insert(try row.string("id")) }
        }
        return found
    }

    static let usageInsert = BatchInsert(
        into: "usage_records",
        columns: [
            "id", "created_at", "user_id", "key_id", "model", "channel_id", "endpoint", "prompt_tokens",
            "completion_tokens", "cached_tokens", "cost", "latency_ms", "ttft_ms", "status", "stream", "client_ip",
            "ledger_entry_id", "cache_write_tokens", "reasoning_tokens", "region",
        ])

    /// Checks every `settle` entry that usage records link to against those records: the entry must exist, belong to
    /// the user and key of every one of them, and charge exactly what they cost. Returns the entries where this
    /// fails. Entries written before records were linked (one per request, with the record's id as reference) have
    /// no linked records and are not checked here; ``verifyLedger()`` still checks them against the balance. A
    /// retention job must therefore delete an entry's records together (by `ledger_entry_id`), never some of them.
    public func verifyUsageSettlements() async throws -> [SettlementMismatch] {
        try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            try await db.raw(
                """
                SELECT t.entry_id AS entry_id, t.cost AS cost, e.amount AS amount
                FROM (SELECT ledger_entry_id AS entry_id, CAST(SUM(cost) AS BIGINT) AS cost,
                             MIN(user_id) AS first_user, MAX(user_id) AS last_user,
                             MIN(key_id) AS first_key, MAX(key_id) AS last_key
                      FROM usage_records WHERE ledger_entry_id IS NOT NULL GROUP BY ledger_entry_id) t
                LEFT JOIN ledger_entries e ON e.id = t.entry_id AND e.kind = 'settle'
                    AND e.user_id = t.first_user AND e.user_id = t.last_user
                    AND e.reference = t.first_key AND e.reference = t.last_key
                WHERE e.id IS NULL OR e.amount <> -t.cost
                ORDER BY t.entry_id
                """
            ).all().map { row in
                SettlementMismatch(
                    entryID: try row.string("entry_id"), linkedCost: Money(micros: try row.int64("cost")),
                    charged: try row.optionalInt64("amount").map { Money(micros: -$0) })
            }
        }
    }

    /// Usage records of a user, newest first.
    public func usageRecords(userID: String, limit: Int = 100) async throws -> [UsageRecord] {
        try await database.withConnection { db in
            try await db.raw(
                "SELECT * FROM usage_records WHERE user_id = \(bind: userID) ORDER BY created_at DESC LIMIT \(bind: limit)"
            ).all().map(Self.decodeUsage)
        }
    }

    static func decodeUsage(_ row: any SQLRow) throws -> UsageRecord {
        var record = UsageRecord(
            id: try row.string("id"), createdAt: try row.int64("created_at"), userID: try row.string("user_id"),
            keyID: try row.string("key_id"), model: try row.string("model"),
            channelID: try row.optionalString("channel_id"), endpoint: try row.string("endpoint"),
            usage: TokenUsage(
                promptTokens: try row.int64("prompt_tokens"),
                completionTokens: try row.int64("completion_tokens"),
                cachedTokens: try row.int64("cached_tokens"), cacheWriteTokens: try row.int64("cache_write_tokens"),
                reasoningTokens: try row.int64("reasoning_tokens")),
            cost: Money(micros: try row.int64("cost")), latencyMillis: try row.int64("latency_ms"),
            timeToFirstTokenMillis: try row.optionalInt64("ttft_ms"), status: try row.string("status"),
            stream: try row.int64("stream") != 0, clientIP: try row.optionalString("client_ip"))
        record.region = try row.optionalString("region")
        return record
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
