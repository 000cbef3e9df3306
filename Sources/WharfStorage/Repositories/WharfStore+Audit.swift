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
    /// ``AuditChainHash``: keyed with a master key.
    public var hash: String
}

/// The verdict of ``WharfStore/verifyAudit(from:)``.
public struct AuditVerification: Sendable, Equatable {
    /// Rows checked.
    public var rows: Int
    /// The first sequence number where the chain breaks (a changed, inserted or deleted row, or a row whose hash
    /// was not made with the master key), if any.
    public var brokenAt: Int64?
    /// What is wrong, when something is: a broken row, or the table disagreeing with the anchor outside it.
    public var problem: String?
    /// The last row checked; a later check can start here (``WharfStore/verifyAudit(from:)``).
    public var head: AuditAnchorFile.Head?

    /// Whether the chain and its anchor check out.
    public var ok: Bool { problem == nil }

    /// Creates a verdict.
    public init(rows: Int, brokenAt: Int64?, problem: String? = nil, head: AuditAnchorFile.Head? = nil) {
        self.rows = rows
        self.brokenAt = brokenAt
        self.problem = problem
        self.head = head
    }
}

extension WharfStore {
    static let auditGenesis = String(repeating: "0", count: 64)
    static let auditBatch = 1_000

    /// Appends an entry to the audit chain, then moves the anchor outside the database to it.
    public func audit(actorID: String?, action: String, target: String?, detail: String = "") async throws {
        // Two nodes appending at once collide on the sequence number; the loser retries on the new head.
        var attempt = 0
        while true {
            attempt += 1
            do {
                let head = try await appendAudit(actorID: actorID, action: action, target: target, detail: detail)
                try auditAnchor?.advance(to: head)
                return
            } catch let failure as AuditAnchorFile.Failure {
                throw failure
            } catch  where attempt < 5 {
                continue
            }
        }
    }

    private func appendAudit(actorID: String?, action: String, target: String?, detail: String) async throws
        -> AuditAnchorFile.Head
    {
        let at = now
        let postgres = database.dialect == .postgres
        let secrets = secrets
        return try await database.transaction { db in
            // One appender at a time: SQLite's write transaction already is; PostgreSQL needs the table lock
            // (readers are not blocked).
            if postgres { try await db.raw("LOCK TABLE audit_log IN EXCLUSIVE MODE").run() }
            let head = try await db.raw("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").first()
            let seq = (try head?.int64("seq") ?? 0) + 1
            let prev = try head?.string("hash") ?? Self.auditGenesis
            let hash = AuditChainHash.keyed(
                secrets, prevHash: prev, seq: seq, createdAt: at, actorID: actorID, action: action, target: target,
                detail: detail)
            try await db.raw(
                """
                INSERT INTO audit_log (seq, created_at, actor_id, action, target, detail, prev_hash, hash)
                VALUES (\(bind: seq), \(bind: at), \(bind: actorID), \(bind: action), \(bind: target), \(bind: detail),
                    \(bind: prev), \(bind: hash))
                """
            ).run()
            return AuditAnchorFile.Head(seq: seq, hash: hash)
        }
    }

    /// The newest audit entries first, `limit` of them, older than `beforeSeq` when given (keyset paging).
    public func auditEntries(limit: Int = 100, beforeSeq: Int64? = nil) async throws -> [AuditEntry] {
        try await database.withConnection { db in
            try await db.raw(
                "SELECT * FROM audit_log WHERE seq < \(bind: beforeSeq ?? Int64.max) ORDER BY seq DESC LIMIT \(bind: limit)"
            ).all().map(Self.decodeAudit)
        }
    }

    /// Checks the chain: every row's hash must be the keyed hash of its fields and link to the previous row's, with
    /// no gap in sequence numbers; and the anchor outside the database (when there is one) must name a row that is
    /// still there with the same hash, so removed newest rows and recomputed chains are found.
    ///
    /// From `checkpoint` (a verdict's ``AuditVerification/head`` from an earlier check), only rows after it are
    /// walked, once the checkpoint row is found unchanged; the admin page checks this way on every view, at the cost
    /// of the rows added since. Rows are read in batches of 1,000 (bounded memory).
    public func verifyAudit(from checkpoint: AuditAnchorFile.Head? = nil) async throws -> AuditVerification {
        var prev = Self.auditGenesis
        var after: Int64 = 0
        var rows = 0
        if let checkpoint, checkpoint.seq > 0,
            let row = try await auditRows(after: checkpoint.seq - 1, limit: 1).first, row.hash == checkpoint.hash
        {
            prev = checkpoint.hash
            after = checkpoint.seq
        }
        var head: AuditAnchorFile.Head? = after > 0 ? AuditAnchorFile.Head(seq: after, hash: prev) : nil
        while true {
            let batch = try await auditRows(after: after, limit: Self.auditBatch)
            for row in batch {
                rows += 1
                let expectedSeq = after + 1
                guard row.seq == expectedSeq else {
                    return AuditVerification(
                        rows: rows, brokenAt: expectedSeq, problem: "row \(expectedSeq) is missing", head: head)
                }
                guard row.prevHash == prev,
                    AuditChainHash.matches(
                        row.hash, secrets, prevHash: row.prevHash, seq: row.seq, createdAt: row.createdAt,
                        actorID: row.actorID, action: row.action, target: row.target, detail: row.detail)
                else {
                    return AuditVerification(
                        rows: rows, brokenAt: row.seq, problem: "row \(row.seq) was changed or not written by Wharf",
                        head: head)
                }
                prev = row.hash
                after = row.seq
                head = AuditAnchorFile.Head(seq: row.seq, hash: row.hash)
            }
            if batch.count < Self.auditBatch { break }
        }
        if let auditAnchor {
            let anchor: AuditAnchorFile.Head?
            do { anchor = try auditAnchor.read() } catch {
                return AuditVerification(rows: rows, brokenAt: nil, problem: error.description, head: head)
            }
            if let anchor, anchor.seq > 0 {
                let tail = head?.seq ?? 0
                guard tail >= anchor.seq else {
                    return AuditVerification(
                        rows: rows, brokenAt: tail + 1,
                        problem:
                            "rows \(tail + 1) to \(anchor.seq) were removed (the anchor outside the database names row \(anchor.seq))",
                        head: head)
                }
                let anchored = try await auditRows(after: anchor.seq - 1, limit: 1).first
                guard let anchored, anchored.seq == anchor.seq, anchored.hash == anchor.hash else {
                    return AuditVerification(
                        rows: rows, brokenAt: anchor.seq,
                        problem:
                            "row \(anchor.seq) differs from the anchor outside the database (the chain was rewritten)",
                        head: head)
                }
            }
        }
        return AuditVerification(rows: rows, brokenAt: nil, head: head)
    }

    func auditRows(after seq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM audit_log WHERE seq > \(bind: seq) ORDER BY seq LIMIT \(bind: limit)")
                .all().map(Self.decodeAudit)
        }
    }

    /// Readies the chain for use at start: rows written before keying (plain SHA-256) are re-keyed, once, when
    /// their chain is intact and no anchor exists yet (an installation upgrading); then the anchor is written for
    /// the current head if there is none. With an anchor already in place, unkeyed rows are never blessed: they
    /// stay and fail verification. Returns the rows re-keyed.
    @discardableResult
    public func upgradeAuditChain() async throws -> Int {
        guard let auditAnchor, try auditAnchor.read() == nil else { return 0 }
        let postgres = database.dialect == .postgres
        let secrets = secrets
        let upgraded: (Int, AuditAnchorFile.Head?)
        do {
            upgraded = try await rekeyLegacyAudit(postgres: postgres, secrets: secrets)
        } catch is AuditUpgradeRefused {
            return 0
        }
        if let head = upgraded.1 { try auditAnchor.advance(to: head) }
        return upgraded.0
    }

    private func rekeyLegacyAudit(postgres: Bool, secrets: SecretBox) async throws -> (Int, AuditAnchorFile.Head?) {
        try await database.transaction { db -> (Int, AuditAnchorFile.Head?) in
            if postgres { try await db.raw("LOCK TABLE audit_log IN EXCLUSIVE MODE").run() }
            let legacy =
                try await db.raw("SELECT count(*) AS n FROM audit_log WHERE hash NOT LIKE 'k1.%'").first()?
                .int64("n") ?? 0
            var prev = Self.auditGenesis
            var newPrev = Self.auditGenesis
            var after: Int64 = 0
            var rekeyed = 0
            while true {
                let batch = try await db.raw(
                    "SELECT * FROM audit_log WHERE seq > \(bind: after) ORDER BY seq LIMIT \(bind: Self.auditBatch)"
                ).all().map(Self.decodeAudit)
                for row in batch {
                    if legacy > 0 {
                        // Re-key only a whole, intact unkeyed chain; anything else is left for verify to report.
                        let expected = AuditChainHash.legacy(
                            prevHash: prev, seq: row.seq, createdAt: row.createdAt, actorID: row.actorID,
                            action: row.action, target: row.target, detail: row.detail)
                        guard row.seq == after + 1, row.prevHash == prev, row.hash == expected else {
                            throw AuditUpgradeRefused(seq: row.seq)
                        }
                        let hash = AuditChainHash.keyed(
                            secrets, prevHash: newPrev, seq: row.seq, createdAt: row.createdAt, actorID: row.actorID,
                            action: row.action, target: row.target, detail: row.detail)
                        try await db.raw(
                            "UPDATE audit_log SET prev_hash = \(bind: newPrev), hash = \(bind: hash) WHERE seq = \(bind: row.seq)"
                        ).run()
                        prev = row.hash
                        newPrev = hash
                        rekeyed += 1
                    } else {
                        newPrev = row.hash
                    }
                    after = row.seq
                }
                if batch.count < Self.auditBatch { break }
            }
            return (rekeyed, after > 0 ? AuditAnchorFile.Head(seq: after, hash: newPrev) : nil)
        }
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

/// The unkeyed audit chain is broken at `seq`, so it is not re-keyed (verification reports it).
struct AuditUpgradeRefused: Error {
    let seq: Int64
}
