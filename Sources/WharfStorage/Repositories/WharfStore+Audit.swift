import Crypto
import Foundation
import SQLKit
import WharfCore

/// One row of the hash-chained audit log (promise P8). Rows name accounts by id only: no email, name or address.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    public var createdAt: Int64
    /// Account id of who acted; nil for the system or the CLI.
    public var actorID: String?
    /// What was done, e.g. `user.role`, `channel.disable`, `credit.adjust`.
    public var action: String
    /// Id of what it was done to.
    public var target: String?
    /// Non-personal details, e.g. `role=admin`.
    public var detail: String
    public var prevHash: String
    public var hash: String

    /// The chain hash of a row: SHA-256 over the previous hash and every field, length-prefixed so that no two
    /// different rows hash alike.
    public static func chainHash(
        prevHash: String, seq: Int64, createdAt: Int64, actorID: String?, action: String, target: String?,
        detail: String
    ) -> String {
        var hasher = SHA256()
        for field in [prevHash, String(seq), String(createdAt), actorID ?? "-", action, target ?? "-", detail] {
            let bytes = Array(field.utf8)
            hasher.update(data: Array(String(bytes.count).utf8) + [0x3A] + bytes)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// The verdict of ``WharfStore/verifyAudit()``.
public struct AuditVerification: Sendable, Equatable {
    /// Rows checked.
    public var rows: Int
    /// The first sequence number where the chain breaks (a changed, inserted or deleted row), if any.
    public var brokenAt: Int64?

    /// Creates a verdict.
    public init(rows: Int, brokenAt: Int64?) {
        self.rows = rows
        self.brokenAt = brokenAt
    }
}

extension WharfStore {
    static let auditGenesis = String(repeating: "0", count: 64)

    /// Appends an entry to the audit chain.
    public func audit(actorID: String?, action: String, target: String?, detail: String = "") async throws {
        // Two nodes appending at once collide on the sequence number; the loser retries on the new head.
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await appendAudit(actorID: actorID, action: action, target: target, detail: detail)
                return
            } catch  where attempt < 5 {
                continue
            }
        }
    }

    private func appendAudit(actorID: String?, action: String, target: String?, detail: String) async throws {
        let at = now
        let postgres = database.dialect == .postgres
        try await database.transaction { db in
            // One appender at a time: SQLite's write transaction already is; PostgreSQL needs the table lock
            // (readers are not blocked).
            if postgres { try await db.raw("LOCK TABLE audit_log IN EXCLUSIVE MODE").run() }
            let head = try await db.raw("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first()
            let seq = (try head?.int64("seq") ?? 0) + 1
            let prev = try head?.string("hash") ?? Self.auditGenesis
            let hash = AuditEntry.chainHash(
                prevHash: prev, seq: seq, createdAt: at, actorID: actorID, action: action, target: target,
                detail: detail)
            try await db.raw(
                """
                INSERT INTO audit_log (seq, created_at, actor_id, action, target, detail, prev_hash, hash)
                VALUES (\(bind: seq), \(bind: at), \(bind: actorID), \(bind: action), \(bind: target), \(bind: detail),
                    \(bind: prev), \(bind: hash))
                """
            ).run()
        }
    }

    /// The newest audit entries first.
    public func auditEntries(limit: Int = 100, offset: Int = 0) async throws -> [AuditEntry] {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM audit_log ORDER BY seq DESC LIMIT \(bind: limit) OFFSET \(bind: offset)")
                .all().map(Self.decodeAudit)
        }
    }

    /// Walks the whole chain from the first row: every row's hash must recompute, link to the previous row's hash,
    /// and sequence numbers must have no gap. A modified, inserted or deleted row breaks it.
    public func verifyAudit() async throws -> AuditVerification {
        let rows = try await database.withConnection { db in
            try await db.raw("SELECT * FROM audit_log ORDER BY seq").all().map(Self.decodeAudit)
        }
        var prev = Self.auditGenesis
        var expectedSeq: Int64 = 1
        for row in rows {
            let recomputed = AuditEntry.chainHash(
                prevHash: row.prevHash, seq: row.seq, createdAt: row.createdAt, actorID: row.actorID,
                action: row.action, target: row.target, detail: row.detail)
            guard row.seq == expectedSeq, row.prevHash == prev, recomputed == row.hash else {
                return AuditVerification(rows: rows.count, brokenAt: row.seq)
            }
            prev = row.hash
            expectedSeq += 1
        }
        return AuditVerification(rows: rows.count, brokenAt: nil)
    }

    static func decodeAudit(_ row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            seq: try row.int64("seq"), createdAt: try row.int64("created_at"),
            actorID: try row.optionalString("actor_id"),
            action: try row.string("action"), target: try row.optionalString("target"),
            detail: try row.string("detail"),
            prevHash: try row.string("prev_hash"), hash: try row.string("hash"))
    }
}
