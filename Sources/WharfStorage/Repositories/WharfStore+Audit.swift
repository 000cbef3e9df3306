import Crypto
import Foundation
import NIOPosix
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

    /// Appends an entry to the audit chain, then moves the anchor outside the database to it (see
    /// ``advanceAnchor(to:)``).
    public func audit(actorID: String?, action: String, target: String?, detail: String = "") async throws {
        // Two nodes appending at once collide on the sequence number; the loser retries on the new head.
        var attempt = 0
        var head: AuditAnchorFile.Head
        while true {
            attempt += 1
            do {
                head = try await appendAudit(actorID: actorID, action: action, target: target, detail: detail)
                break
            } catch  where attempt < 5 {
                continue
            }
        }
        // The action is done and its row committed: a problem with the anchor is for verification to report, not a
        // reason to fail the request.
        try? await advanceAnchor(to: head)
    }

    /// Moves the anchor to `head`, but only along the chain it already names: the anchored row must still be in the
    /// table with the anchored hash. After rows were removed or rewritten, the anchor stays where it is, so
    /// verification keeps reporting it however many rows are appended since. An anchor that cannot be read or does
    /// not check out is left in place too. With no anchor, only the first row of a new chain creates one; an
    /// existing chain without an anchor is anchored by the operator (`wharf audit anchor`), after checking it.
    func advanceAnchor(to head: AuditAnchorFile.Head) async throws {
        guard let auditAnchor else { return }
        guard let anchored = try auditAnchor.read() else {
            if head.seq == 1 { try await Self.offLoop { try auditAnchor.advance(to: head) } }
            return
        }
        guard anchored.seq < head.seq else { return }
        if anchored.seq > 0 {
            guard let row = try await auditRows(after: anchored.seq - 1, limit: 1).first, row.seq == anchored.seq,
                row.hash == anchored.hash
            else {
                // Recorded outside the database, so putting the row back later does not hide it.
                try await Self.offLoop { try auditAnchor.raiseAlarm(at: anchored.seq) }
                return
            }
        }
        try await Self.offLoop { try auditAnchor.advance(to: head) }
    }

    /// Runs blocking file work (open, `flock`, `fsync`) on NIO's thread pool: audit rows are appended by requests
    /// (every sign-in writes one), whose tasks run on the event loops.
    static func offLoop(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// At start: a database whose audit log is empty gets the genesis anchor (row 0), so the chain is anchored from
    /// its first row even if the process stops between writing that row and its anchor.
    public func anchorEmptyAudit() async throws {
        guard let auditAnchor, try auditAnchor.read() == nil, try await auditRows(after: 0, limit: 1).isEmpty else {
            return
        }
        try auditAnchor.advance(to: AuditAnchorFile.Head(seq: 0, hash: Self.auditGenesis))
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
        // Read before the walk: the anchor only ever names committed rows, so every row it names is walked even when
        // appends go on meanwhile (read after, it could name rows the walk never saw).
        let anchorRead: Result<AuditAnchorFile.Head?, AuditAnchorFile.Failure>? = auditAnchor.map { anchor in
            Result { () throws(AuditAnchorFile.Failure) in try anchor.read() }
        }
        let walk = try await walkAudit(from: checkpoint)
        let (rows, head) = (walk.rows, walk.head)
        if walk.brokenAt != nil { return walk }
        if let alarm = auditAnchor?.readAlarm() {
            return AuditVerification(
                rows: rows, brokenAt: alarm,
                problem:
                    "row \(alarm) was found changed or missing while rows were being appended (recorded in \(auditAnchor?.alarmPath ?? "the alarm file")); check the chain, then `wharf audit anchor` clears it",
                head: head)
        }
        if let anchorRead {
            let anchor: AuditAnchorFile.Head?
            switch anchorRead {
            case .success(let read): anchor = read
            case .failure(let error):
                return AuditVerification(rows: rows, brokenAt: nil, problem: error.description, head: head)
            }
            if anchor == nil, let head {
                return AuditVerification(
                    rows: rows, brokenAt: nil,
                    problem:
                        "the anchor file outside the database is missing, so removed newest rows cannot be ruled out (after checking, `wharf audit anchor` writes it for row \(head.seq))",
                    head: head)
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

    /// The chain alone, from `checkpoint` (when its row is unchanged) or the first row: sequence, links and keyed
    /// hashes; no anchor.
    func walkAudit(from checkpoint: AuditAnchorFile.Head?) async throws -> AuditVerification {
        var prev = Self.auditGenesis
        var after: Int64 = 0
        var rows = 0
        if let checkpoint, checkpoint.seq > 0,
            let row = try await auditRows(after: checkpoint.seq - 1, limit: 1).first, row.hash == checkpoint.hash
        {
            prev = checkpoint.hash
            after = checkpoint.seq
        }
        // Rows before the first one left were removed by the retention job, which first appends an `audit.prune` row
        // naming the last row it removes and that row's hash: the walk starts from that hash and must meet the row.
        // A run stopped part-way leaves rows its prune row names: they count as pruned when the walk meets the named
        // row with the named hash before the (keyed, so unforgeable) prune row itself.
        var pruned: (through: Int64, hash: String, proven: Bool)?
        var claimed: [Int64: String] = [:]
        var met = Set<Int64>()
        if after == 0, let first = try await auditRows(after: 0, limit: 1).first, first.seq > 1 {
            pruned = (first.seq - 1, first.prevHash, false)
            prev = first.prevHash
            after = first.seq - 1
            claimed = try await auditPruneClaims()
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
                if let hash = claimed[row.seq], hash == row.hash { met.insert(row.seq) }
                if let claim = pruned, row.action == Self.auditPruneAction,
                    let (through, hash) = Self.parsePruneDetail(row.detail),
                    (through == claim.through && hash == claim.hash)
                        || (through > claim.through && met.contains(through))
                {
                    pruned?.proven = true
                }
                prev = row.hash
                after = row.seq
                head = AuditAnchorFile.Head(seq: row.seq, hash: row.hash)
            }
            if batch.count < Self.auditBatch { break }
        }
        if let pruned, !pruned.proven {
            return AuditVerification(
                rows: rows, brokenAt: 1,
                problem: "rows 1 to \(pruned.through) are missing and no audit.prune entry accounts for them",
                head: head)
        }
        return AuditVerification(rows: rows, brokenAt: nil, head: head)
    }

    /// Whether any row still has a hash from before keying.
    func hasUnkeyedAuditRows() async throws -> Bool {
        try await database.withConnection { db in
            try await db.raw("SELECT seq FROM audit_log WHERE hash NOT LIKE 'k1.%' LIMIT 1").first() != nil
        }
    }

    func auditRows(after seq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM audit_log WHERE seq > \(bind: seq) ORDER BY seq LIMIT \(bind: limit)")
                .all().map(Self.decodeAudit)
        }
    }

    /// `wharf audit anchor`: the operator's explicit checkpoint. Walks the whole chain; rows written before keying
    /// (plain SHA-256, by an earlier version) are re-keyed, provided the chain up to them is intact under either
    /// scheme; then the anchor is written for the head. A broken chain is neither re-keyed nor anchored (the error
    /// names the row). Never run automatically: a missing anchor or an unkeyed chain may be an attacker's work, and
    /// only someone who has checked it should bless it. Returns the rows re-keyed and the head anchored.
    ///
    /// A chain that is keyed throughout is only read (no lock: a running server keeps appending), and the anchor
    /// never moves back behind a later one the server wrote meanwhile. Re-keying an old chain rewrites every row in
    /// one transaction that blocks appends: run it with the server stopped.
    ///
    /// When the chain disagrees with the anchor already there (rows it names were removed or rewritten) or an alarm
    /// was raised, nothing is written unless `acceptingDivergence` is set: the operator has looked and accepts the
    /// chain as it now is. ``AuditDivergence`` says what differs.
    @discardableResult
    public func anchorAudit(acceptingDivergence: Bool = false) async throws -> (
        rekeyed: Int, head: AuditAnchorFile.Head?
    ) {
        guard let auditAnchor else { return (0, nil) }
        let alarm = auditAnchor.readAlarm()
        let existing = try? auditAnchor.read()
        let unkeyed = try await hasUnkeyedAuditRows()
        if !unkeyed {
            let walk = try await walkAudit(from: nil)
            if let broken = walk.brokenAt { throw AuditChainBroken(seq: broken) }
            let head = walk.head ?? AuditAnchorFile.Head(seq: 0, hash: Self.auditGenesis)
            var diverged: String?
            if let existing, existing.seq > 0 {
                let row = try await auditRows(after: existing.seq - 1, limit: 1).first
                if let row, row.seq == existing.seq, row.hash == existing.hash {
                    if existing.seq > head.seq { return (0, existing) }  // appended meanwhile: keep the later one
                } else {
                    diverged = "the anchor names row \(existing.seq), which is no longer in the chain as anchored"
                }
            }
            if let alarm { diverged = (diverged.map { $0 + "; " } ?? "") + "an alarm names row \(alarm)" }
            if let diverged, !acceptingDivergence { throw AuditDivergence(text: diverged, head: head.seq) }
            try auditAnchor.replace(with: head)
            // Only the alarm seen before the walk: one raised meanwhile is for a later look.
            if auditAnchor.readAlarm() == alarm { auditAnchor.clearAlarm() }
            return (0, walk.head)
        }
        if (existing != nil || alarm != nil) && !acceptingDivergence {
            throw AuditDivergence(
                text: "rows written before keying, with an anchor or alarm already in place", head: 0)
        }
        let postgres = database.dialect == .postgres
        let secrets = secrets
        // An anchor exists only once the chain is keyed: then no unkeyed row is an old one.
        let anchored = (try? auditAnchor.read()) != nil
        let result = try await database.transaction(timeoutMillis: nil) { db -> (Int, AuditAnchorFile.Head?) in
            if postgres { try await db.raw("LOCK TABLE audit_log IN EXCLUSIVE MODE").run() }
            var stored = Self.auditGenesis  // the previous row's hash as stored
            var rewritten = Self.auditGenesis  // the previous row's hash after re-keying
            var after: Int64 = 0
            var rekeyed = 0
            var seenKeyed = false
            while true {
                let batch = try await db.raw(
                    "SELECT * FROM audit_log WHERE seq > \(bind: after) ORDER BY seq LIMIT \(bind: Self.auditBatch)"
                ).all().map(Self.decodeAudit)
                for row in batch {
                    let legacy = AuditChainHash.legacy(
                        prevHash: stored, seq: row.seq, createdAt: row.createdAt, actorID: row.actorID,
                        action: row.action, target: row.target, detail: row.detail)
                    let keyed = AuditChainHash.matches(
                        row.hash, secrets, prevHash: stored, seq: row.seq, createdAt: row.createdAt,
                        actorID: row.actorID, action: row.action, target: row.target, detail: row.detail)
                    // Unkeyed rows are accepted only as the old beginning of the chain: from row 1, before any
                    // keyed row, and only while no anchor exists.
                    let old = !keyed && row.hash == legacy && !seenKeyed && !anchored
                    guard row.seq == after + 1, row.prevHash == stored, keyed || old else {
                        throw AuditChainBroken(seq: row.seq)
                    }
                    if keyed { seenKeyed = true }
                    if stored != rewritten || !keyed {
                        let hash = AuditChainHash.keyed(
                            secrets, prevHash: rewritten, seq: row.seq, createdAt: row.createdAt,
                            actorID: row.actorID, action: row.action, target: row.target, detail: row.detail)
                        try await db.raw(
                            "UPDATE audit_log SET prev_hash = \(bind: rewritten), hash = \(bind: hash) WHERE seq = \(bind: row.seq)"
                        ).run()
                        rekeyed += 1
                        rewritten = hash
                    } else {
                        rewritten = row.hash
                    }
                    stored = row.hash
                    after = row.seq
                }
                if batch.count < Self.auditBatch { break }
            }
            return (rekeyed, after > 0 ? AuditAnchorFile.Head(seq: after, hash: rewritten) : nil)
        }
        if let head = result.1 { try auditAnchor.replace(with: head) }
        if auditAnchor.readAlarm() == alarm { auditAnchor.clearAlarm() }
        return result
    }

    /// Whether the chain has rows written before keying, or rows but no anchor (the operator should check it and run
    /// `wharf audit anchor`).
    public func auditNeedsAnchoring() async throws -> Bool {
        let unkeyed = try await hasUnkeyedAuditRows()
        let rows = try await auditRows(after: 0, limit: 1).count
        return unkeyed || (rows > 0 && (try? auditAnchor?.read()) == nil)
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

/// The chain is whole but differs from what the anchor or an alarm recorded (rows removed or rewritten since);
/// `wharf audit anchor --accept-divergence` anchors it anyway, after the operator has looked.
public struct AuditDivergence: Error, CustomStringConvertible {
    public let text: String
    /// The row that would be anchored.
    public let head: Int64
    public var description: String {
        "not anchored: \(text); the chain itself is whole up to row \(head) (after checking, rerun with --accept-divergence)"
    }
}

/// The audit chain is broken at `seq`, so it is neither re-keyed nor anchored.
public struct AuditChainBroken: Error, CustomStringConvertible {
    public let seq: Int64
    public var description: String { "the audit chain is broken at row \(seq); it was not anchored" }
}

extension WharfStore {
    static let auditPruneAction = "audit.prune"

    static func auditPruneDetail(through seq: Int64, hash: String) -> String { "through=\(seq) hash=\(hash)" }

    /// `through` and `hash` of a prune row's detail.
    static func parsePruneDetail(_ detail: String) -> (Int64, String)? {
        let parts = detail.split(separator: " ")
        guard parts.count == 2, parts[0].hasPrefix("through="), parts[1].hasPrefix("hash="),
            let seq = Int64(parts[0].dropFirst("through=".count))
        else { return nil }
        return (seq, String(parts[1].dropFirst("hash=".count)))
    }

    /// What the prune rows claim (row → its hash), read before a walk; only a prune row the walk verifies counts.
    func auditPruneClaims() async throws -> [Int64: String] {
        try await database.withConnection { db in
            var out: [Int64: String] = [:]
            for row in try await db.raw(
                """
                SELECT detail FROM audit_log WHERE action = \(bind: Self.auditPruneAction) AND seq > 0
                ORDER BY seq DESC LIMIT 100
                """
            ).all() {
                // The newest claim about a row counts (a walked prune row must still confirm it).
                if let (seq, hash) = Self.parsePruneDetail(try row.string("detail")), out[seq] == nil {
                    out[seq] = hash
                }
            }
            return out
        }
    }

    /// Removes audit rows created before `cutoff` (the audit retention). First an `audit.prune` row is appended to
    /// the chain, naming the last row removed and its hash, so the verifier can tell a retention cut from rows
    /// deleted by someone else; then the rows go in batches. Returns the rows removed (or, on a dry run, due).
    func pruneAudit(before cutoff: Int64, dryRun: Bool) async throws -> Int64 {
        let found = try await database.withConnection { db in
            try await db.raw(
                """
                SELECT MAX(seq) AS through, COUNT(*) AS n FROM audit_log
                WHERE seq <= (SELECT MAX(seq) FROM audit_log WHERE created_at < \(bind: cutoff))
                """
            ).first()
        }
        guard let found, let through = try found.optionalInt64("through") else { return 0 }
        let count = try found.int64("n")
        if dryRun || count == 0 { return count }
        guard let last = try await auditRows(after: through - 1, limit: 1).first, last.seq == through else { return 0 }
        try await audit(
            actorID: nil, action: Self.auditPruneAction, target: nil,
            detail: Self.auditPruneDetail(through: through, hash: last.hash))
        var total: Int64 = 0
        while true {
            let deleted = try await database.transaction { db in
                try await db.raw(
                    """
                    DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE seq <= \(bind: through)
                        ORDER BY seq LIMIT \(literal: Self.retentionBatch)) RETURNING seq
                    """
                ).all().count
            }
            total += Int64(deleted)
            if deleted < Self.retentionBatch { return total }
        }
    }
}
