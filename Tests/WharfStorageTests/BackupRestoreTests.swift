import Foundation
import SQLKit
import Testing
import WharfCore
import WharfStorage

/// `wharf backup` and `wharf restore` on every database: a snapshot restores into an empty database with the same
/// money, keys, channels and audit chain; the file holds nothing readable; a damaged file, a missing key or a used
/// target is refused and the target left as it was.
@Suite("Backups: encrypted snapshot and restore")
struct BackupRestoreTests {
    static let email = "backup-alice@example.com"
    static let upstreamKey = "sk-upstream-BACKUP-PLAINTEXT-777"

    /// `t`'s database with an audit anchor in a fresh directory, sealing with `secrets` (default: `t`'s).
    static func anchored(_ t: TestDatabase, secrets: SecretBox? = nil) throws -> WharfStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-bk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let box = secrets ?? t.store.secrets
        return WharfStore(
            database: t.database, secrets: box,
            auditAnchor: AuditAnchorFile(path: dir.appendingPathComponent("audit-anchor").path, secrets: box))
    }

    /// A path for a backup file that does not exist yet.
    static func backupPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("wharf-\(UUID().uuidString).backup").path
    }

    /// Users with grants and spending, an API key, a channel with a sealed key, audit rows.
    static func seed(_ store: WharfStore) async throws -> UserRecord {
        let alice = try await store.makeUser(email, balance: Money(micros: 12_500_000))
        let bob = try await store.makeUser("backup-bob@example.com", balance: Money(micros: 3_000_000))
        _ = try await store.post(userID: bob.id, kind: .adjustment, amount: Money(micros: -1_250_000), reason: "test")
        _ = try await store.createKey(userID: alice.id, name: "laptop")
        try await store.addChannel(
            Channel(id: "chn_bk", name: "bk", provider: .openai, baseURL: "https://x.example/v1", models: ["m"]),
            apiKey: upstreamKey)
        for i in 1...3 {
            try await store.audit(actorID: nil, action: "credit.adjust", target: "usr_\(i)", detail: "amount=5")
        }
        return alice
    }

    /// `sql`'s rows, each as one text (the query concatenates its columns).
    static func texts(_ db: WharfDatabase, _ sql: String) async throws -> [String] {
        try await db.withConnection { db in
            try await db.raw(SQLQueryString(sql)).all().map { try $0.decode(column: "r", as: String.self) }
        }
    }

    static let ledgerSQL =
        "SELECT id || '|' || user_id || '|' || kind || '|' || CAST(amount AS TEXT) || '|' || CAST(created_at AS TEXT) AS r FROM ledger_entries ORDER BY id"
    static let walletsSQL = "SELECT user_id || '|' || CAST(balance AS TEXT) AS r FROM wallets ORDER BY user_id"
    static let keysSQL = "SELECT id || '|' || key_hash AS r FROM api_keys ORDER BY id"
    static let usersSQL = "SELECT CAST(COUNT(*) AS TEXT) AS r FROM users"

    @Test(
        "A backup restores into an empty database with the same balances, ledger, keys, channel and audit chain",
        arguments: Backend.available)
    func roundTrip(backend: Backend) async throws {
        try await TestDatabase.with(backend) { source in
            let store = try Self.anchored(source)
            let alice = try await Self.seed(store)
            let auditBefore = try await store.auditEntries(limit: 100)
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let seen = TableLog()
            let summary = try await store.backup(to: path) { table, rows in seen.add(table, rows) }
            #expect(summary.tables == DataMap.tables.count)
            #expect(seen.tables == Set(DataMap.tables.map(\.name)))
            #expect(seen.rows["users"] == 2 && seen.rows["ledger_entries"] == 3)

            try await TestDatabase.with(backend) { target in
                let restored = try Self.anchored(target)
                let result = try await restored.restore(from: path)
                #expect(result.verified, "\(result.ledgerMismatches) \(result.audit)")
                #expect(result.rows == summary.rows - Int64(seen.rows["schema_migrations"] ?? 0))
                #expect(try await restored.balance(userID: alice.id) == Money(micros: 12_500_000))
                for sql in [Self.ledgerSQL, Self.walletsSQL, Self.keysSQL, Self.usersSQL] {
                    #expect(try await Self.texts(target.database, sql) == Self.texts(source.database, sql))
                }
                #expect(try await restored.verifyLedger().isEmpty)
                // The chain as it was, then the restore's own entry; anchored beside the new database.
                let verdict = try await restored.verifyAudit()
                #expect(verdict.ok, "\(verdict)")
                let after = try await restored.auditEntries(limit: 100)
                #expect(after.first?.action == "backup.restore")
                #expect(Array(after.dropFirst()) == auditBefore)
                // The channel's key opens with the same master key.
                #expect(try await restored.enabledChannelsWithSecrets().first?.apiKey == Self.upstreamKey)
            }
        }
    }

    @Test(
        "A backup of many pages and several chunks restores whole, usage charges included", arguments: Backend.available
    )
    func manyPagesAndChunks(backend: Backend) async throws {
        try await TestDatabase.with(backend) { source in
            let store = try Self.anchored(source)
            let user = try await store.makeUser("busy@example.com", balance: Money(micros: 1_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            for batch in 0..<12 {
                _ = try await store.writeUsage(
                    (0..<500).map { i in
                        .forTest(
                            id: "req_\(batch)_\(i)", userID: user.id, keyID: key.id, cost: 7, model: "model-\(i % 9)")
                    })
            }
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let summary = try await store.backup(to: path)
            #expect(summary.bytes > BackupFormat.maxChunkBytes)
            try await TestDatabase.with(backend) { target in
                let restored = try Self.anchored(target)
                let result = try await restored.restore(from: path)
                #expect(result.verified, "\(result.ledgerMismatches) \(result.audit)")
                let count = "SELECT CAST(COUNT(*) AS TEXT) || '|' || CAST(SUM(cost) AS TEXT) AS r FROM usage_records"
                #expect(try await Self.texts(target.database, count) == ["6000|42000"])
                #expect(try await restored.balance(userID: user.id) == Money(micros: 1_000_000 - 42_000))
                #expect(
                    try await Self.texts(target.database, Self.ledgerSQL) == Self.texts(source.database, Self.ledgerSQL)
                )
            }
        }
    }

    @Test(
        "The backup file holds no email, no upstream key and no stored ciphertext in readable form",
        arguments: Backend.available)
    func nothingReadable(backend: Backend) async throws {
        try await TestDatabase.with(backend) { source in
            let store = try Self.anchored(source)
            _ = try await Self.seed(store)
            let sealed = try #require(
                try await Self.texts(source.database, "SELECT api_key_ciphertext AS r FROM channels").first)
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try await store.backup(to: path)
            let bytes = try #require(FileManager.default.contents(atPath: path))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("wharf-backup v1 key=\(store.secrets.primaryKeyID) "))
            for needle in [
                Self.email, "backup-bob", Self.upstreamKey, sealed, String(sealed.suffix(24)), "ledger_entries",
            ] {
                #expect(bytes.range(of: Data(needle.utf8)) == nil, "found \(needle) in the backup file")
            }
        }
    }

    @Test(
        "A flipped byte, a truncated file, an appended byte or a ring without the backup's key is refused, and the target stays empty",
        arguments: Backend.available)
    func damagedFilesRefused(backend: Backend) async throws {
        try await TestDatabase.with(backend) { source in
            let store = try Self.anchored(source)
            _ = try await Self.seed(store)
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try await store.backup(to: path)
            let good = try #require(FileManager.default.contents(atPath: path))
            var flipped = good
            flipped[flipped.count / 2] ^= 0x40
            let cases: [(String, Data, BackupError)] = [
                ("flipped", flipped, .tampered),
                ("truncated", good.dropLast(1), .truncated),
                ("cut after the header", good.prefix(80), .truncated),
                ("appended", good + Data([0]), .trailingData),
            ]
            try await TestDatabase.with(backend) { target in
                let restored = try Self.anchored(target)
                for (name, bytes, expected) in cases {
                    let damaged = Self.backupPath()
                    defer { try? FileManager.default.removeItem(atPath: damaged) }
                    #expect(FileManager.default.createFile(atPath: damaged, contents: bytes))
                    await #expect(throws: expected, "\(name)") { try await restored.restore(from: damaged) }
                }
                let otherKey = try SecretBox(keys: [(0..<32).map { UInt8($0) }])
                let stranger = try Self.anchored(target, secrets: otherKey)
                await #expect(throws: BackupError.unknownKey(store.secrets.primaryKeyID)) {
                    try await stranger.restore(from: path)
                }
                #expect(try await Self.texts(target.database, Self.usersSQL) == ["0"])
                #expect(try await target.store.auditEntries().isEmpty)
            }
        }
    }

    @Test(
        "A backup taken while credit is being granted restores a ledger that matches its balances",
        arguments: Backend.available)
    func consistentWhileWriting(backend: Backend) async throws {
        try await TestDatabase.with(backend) { source in
            let store = try Self.anchored(source)
            var users: [UserRecord] = []
            for i in 0..<5 { users.append(try await store.makeUser("live\(i)@example.com", balance: Money(micros: 1))) }
            let ids = users.map(\.id)
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for round in 0..<40 {
                        _ = try await store.post(
                            userID: ids[round % ids.count], kind: .grant, amount: Money(micros: 1_000))
                    }
                }
                group.addTask { _ = try await store.backup(to: path) }
                try await group.waitForAll()
            }
            try await TestDatabase.with(backend) { target in
                let result = try await Self.anchored(target).restore(from: path)
                #expect(result.ledgerMismatches.isEmpty, "\(result.ledgerMismatches)")
                #expect(result.verified)
            }
        }
    }

    @Test("Restoring into a database that holds data is refused and changes nothing", arguments: Backend.available)
    func nonEmptyTargetRefused(backend: Backend) async throws {
        try await TestDatabase.with(backend) { source in
            let store = try Self.anchored(source)
            _ = try await Self.seed(store)
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try await store.backup(to: path)
            try await TestDatabase.with(backend) { target in
                let restored = try Self.anchored(target)
                let carol = try await restored.makeUser("carol@example.com", balance: Money(micros: 1_000_000))
                let before = try await Self.texts(target.database, Self.ledgerSQL)
                await #expect(throws: BackupError.targetNotEmpty(["users": 1, "wallets": 1, "ledger_entries": 1])) {
                    try await restored.restore(from: path)
                }
                #expect(try await Self.texts(target.database, Self.ledgerSQL) == before)
                #expect(try await Self.texts(target.database, Self.usersSQL) == ["1"])
                #expect(try await restored.balance(userID: carol.id) == Money(micros: 1_000_000))
            }
        }
    }

    @Test("A backup from a newer schema is refused before the database is touched")
    func newerSchemaRefused() async throws {
        try await TestDatabase.with(.sqlite) { target in
            let header = BackupFormat.Header(keyID: target.store.secrets.primaryKeyID, salt: Array(0..<16))
            var payload: [UInt8] = []
            BackupRecordEncoder.append(.begin(schemaVersion: 9_999, createdAt: 0), to: &payload)
            BackupRecordEncoder.append(.end(tables: 0, rows: 0), to: &payload)
            let key = BackupFormat.chunkKey(master: .init(data: TestDatabase.testKey()), salt: header.salt)
            let frame = try BackupFormat.sealChunk(payload, index: 0, final: true, header: header.line, key: key)
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(FileManager.default.createFile(atPath: path, contents: Data(header.line + frame)))
            await #expect(throws: BackupError.self) { try await target.store.restore(from: path) }
            do {
                _ = try await target.store.restore(from: path)
            } catch let error as BackupError {
                guard case .newerSchema(let backup, _) = error else {
                    Issue.record("expected newerSchema, got \(error)")
                    return
                }
                #expect(backup == 9_999)
            }
        }
    }

    @Test("A backup never overwrites an existing file")
    func existingFileKept() async throws {
        try await TestDatabase.with(.sqlite) { t in
            let path = Self.backupPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
            await #expect(throws: BackupError.self) { try await t.store.backup(to: path) }
            #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
        }
    }
}

/// What a backup reported per table.
final class TableLog: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String: Int64] = [:]

    func add(_ table: String, _ rows: Int64) { lock.withLock { seen[table] = rows } }
    var tables: Set<String> { lock.withLock { Set(seen.keys) } }
    var rows: [String: Int64] { lock.withLock { seen } }
}
