import Foundation
import SQLKit
import Testing
import WharfCore
import WharfStorage

/// The audit chain is keyed with the master key and anchored outside the database (issue 11, finding 6): someone
/// who can write the database but holds no master key can neither trim it nor rewrite it unnoticed.
@Suite("Audit chain: keyed, anchored, upgraded, checked incrementally")
struct AuditChainTests {
    /// `t`'s database with an anchor file in a fresh directory.
    static func anchored(_ t: TestDatabase) throws -> (WharfStore, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-anchor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("audit-anchor").path
        return (
            WharfStore(
                database: t.database, secrets: t.store.secrets,
                auditAnchor: AuditAnchorFile(path: path, secrets: t.store.secrets)),
            path
        )
    }

    static func append(_ store: WharfStore, _ count: Int) async throws {
        for i in 1...count {
            try await store.audit(actorID: "usr_admin", action: "credit.adjust", target: "usr_\(i)", detail: "amount=5")
        }
    }

    /// Rewrites rows `from...` the way an attacker without the key can: the edit, then every later hash recomputed
    /// with `hash` (so the chain links again).
    static func rewrite(
        _ t: TestDatabase, from seq: Int64, detail: String, hash: (AuditEntry, String) -> String
    ) async throws {
        let rows = try await t.store.auditEntries(limit: 1_000).reversed()
        var prev = rows.first { $0.seq == seq - 1 }?.hash ?? String(repeating: "0", count: 64)
        for var row in rows where row.seq >= seq {
            if row.seq == seq { row.detail = detail }
            let new = hash(row, prev)
            let (changed, linked) = (row, prev)
            try await t.database.withConnection { db in
                try await db.raw(
                    "UPDATE audit_log SET detail = \(bind: changed.detail), prev_hash = \(bind: linked), hash = \(bind: new) WHERE seq = \(bind: changed.seq)"
                ).run()
            }
            prev = new
        }
    }

    @Test(
        "An edited amount with every later hash recomputed without the master key fails verification",
        arguments: Backend.available)
    func recomputedChain(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let (store, _) = try Self.anchored(t)
            try await Self.append(store, 5)
            #expect(try await store.verifyAudit().ok)
            // Plain SHA-256, as the chain was before it was keyed.
            try await Self.rewrite(t, from: 3, detail: "amount=5000") { row, prev in
                AuditChainHash.legacy(
                    prevHash: prev, seq: row.seq, createdAt: row.createdAt, actorID: row.actorID, action: row.action,
                    target: row.target, detail: row.detail)
            }
            #expect(try await store.verifyAudit().brokenAt == 3)
            // Keyed, but with a master key of the attacker's own.
            let other = try SecretBox(keys: [(0..<32).map { UInt8($0) }])
            try await Self.rewrite(t, from: 3, detail: "amount=5000") { row, prev in
                AuditChainHash.keyed(
                    other, prevHash: prev, seq: row.seq, createdAt: row.createdAt, actorID: row.actorID,
                    action: row.action, target: row.target, detail: row.detail)
            }
            #expect(try await store.verifyAudit().brokenAt == 3)
        }
    }

    @Test("Deleting the newest rows is found through the anchor outside the database", arguments: Backend.available)
    func trimmedTail(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let (store, path) = try Self.anchored(t)
            try await Self.append(store, 6)
            #expect(try AuditAnchorFile(path: path, secrets: t.store.secrets).read()?.seq == 6)
            try await t.database.withConnection { db in
                try await db.raw("DELETE FROM audit_log WHERE seq >= 4").run()
            }
            let verdict = try await store.verifyAudit()
            #expect(!verdict.ok)
            #expect(verdict.brokenAt == 4)
            #expect(verdict.problem?.contains("removed") == true)
            // Without the anchor the shortened chain would look whole: that is what the anchor is for.
            #expect(try await t.store.verifyAudit().ok)
            // New rows written over the gap (sign-ins keep coming) do not move the anchor past it.
            try await Self.append(store, 5)
            let later = try await store.verifyAudit()
            #expect(!later.ok && later.brokenAt == 6, "\(later)")
            #expect(try AuditAnchorFile(path: path, secrets: t.store.secrets).read()?.seq == 6)
        }
    }

    @Test(
        "Changing the anchored row to freeze the anchor, then removing newer rows and putting it back, stays reported",
        arguments: Backend.available)
    func frozenAnchor(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let (store, path) = try Self.anchored(t)
            try await Self.append(store, 3)
            let original = try #require(try await store.auditEntries(limit: 1).first?.hash)
            try await t.database.withConnection { db in
                try await db.raw("UPDATE audit_log SET hash = 'x' WHERE seq = 3").run()
            }
            try await Self.append(store, 3)  // rows to hide; the anchor does not follow them
            try await t.database.withConnection { db in
                try await db.raw("DELETE FROM audit_log WHERE seq > 3").run()
                try await db.raw("UPDATE audit_log SET hash = \(bind: original) WHERE seq = 3").run()
            }
            #expect(try AuditAnchorFile(path: path, secrets: t.store.secrets).read()?.seq == 3)
            let verdict = try await store.verifyAudit()
            #expect(!verdict.ok && verdict.brokenAt == 3, "\(verdict)")
            // Anchoring again needs the operator to accept what changed; then the alarm is cleared.
            await #expect(throws: AuditDivergence.self) { try await store.anchorAudit() }
            try await store.anchorAudit(acceptingDivergence: true)
            #expect(try await store.verifyAudit().ok)
        }
    }

    @Test("A forged anchor line is refused; the anchor never moves back")
    func forgedAnchor() throws {
        let secrets = try SecretBox(keys: [TestDatabase.testKey()])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("anchor-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let anchor = AuditAnchorFile(path: path, secrets: secrets)
        try anchor.advance(to: .init(seq: 7, hash: "k1.x.aa"))
        try anchor.advance(to: .init(seq: 5, hash: "k1.x.bb"))
        #expect(try anchor.read() == .init(seq: 7, hash: "k1.x.aa"))
        let line = try String(contentsOfFile: path, encoding: .utf8)
        try line.replacingOccurrences(of: " 7 ", with: " 3 ").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: AuditAnchorFile.Failure.forged) { try AuditAnchorFile(path: path, secrets: secrets).read() }
    }

    @Test(
        "An installation upgrading re-keys its intact unkeyed chain when the operator anchors it, never by itself",
        arguments: Backend.available)
    func upgrade(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            // Five rows as the previous version wrote them.
            var prev = String(repeating: "0", count: 64)
            for seq in Int64(1)...5 {
                let hash = AuditChainHash.legacy(
                    prevHash: prev, seq: seq, createdAt: seq, actorID: nil, action: "old", target: nil, detail: "")
                let linked = prev
                try await t.database.withConnection { db in
                    try await db.raw(
                        """
                        INSERT INTO audit_log (seq, created_at, actor_id, action, target, detail, prev_hash, hash)
                        VALUES (\(bind: seq), \(bind: seq), NULL, 'old', NULL, '', \(bind: linked), \(bind: hash))
                        """
                    ).run()
                }
                prev = hash
            }
            let (store, path) = try Self.anchored(t)
            #expect(try await store.verifyAudit().brokenAt == 1, "unkeyed rows do not verify")
            #expect(try await store.auditNeedsAnchoring())
            // Appending does not anchor or bless an existing chain by itself.
            try await Self.append(store, 1)
            #expect(try AuditAnchorFile(path: path, secrets: t.store.secrets).read() == nil)
            let (rekeyed, head) = try await store.anchorAudit()
            #expect(rekeyed == 6 && head?.seq == 6)
            #expect(try await store.verifyAudit().ok)
            #expect(try await !store.auditNeedsAnchoring())
            #expect(try await store.anchorAudit().rekeyed == 0, "once")
            // A broken chain is refused, not anchored.
            try await t.database.withConnection { db in
                try await db.raw("UPDATE audit_log SET detail = 'forged' WHERE seq = 2").run()
            }
            await #expect(throws: AuditChainBroken.self) { try await store.anchorAudit() }
            #expect(try AuditAnchorFile(path: path, secrets: t.store.secrets).read()?.seq == 6)
        }
    }

    @Test(
        "The page's incremental check reads only rows after its checkpoint, and a changed checkpoint row means a full walk",
        arguments: Backend.available)
    func incremental(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let (store, _) = try Self.anchored(t)
            try await Self.append(store, 4)
            let first = try await store.verifyAudit()
            #expect(first.ok && first.rows == 4)
            try await Self.append(store, 3)
            let next = try await store.verifyAudit(from: first.head)
            #expect(next.ok && next.rows == 3 && next.head?.seq == 7)
            // The checkpoint row itself rewritten: the check starts again from the first row and finds the break.
            try await t.database.withConnection { db in
                try await db.raw("UPDATE audit_log SET hash = 'k1.x.ff' WHERE seq = 7").run()
            }
            let full = try await store.verifyAudit(from: next.head)
            #expect(!full.ok && full.brokenAt == 7 && full.rows == 7)
        }
    }
}
