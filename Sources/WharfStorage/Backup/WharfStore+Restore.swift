import Foundation
import SQLKit
import WharfCore

/// What `wharf restore` did, and what the checks after it found.
public struct RestoreSummary: Sendable {
    /// The schema version the backup was taken at.
    public var backupSchemaVersion: Int64
    /// When the backup was taken (Unix milliseconds).
    public var backupCreatedAt: Int64
    /// Tables restored.
    public var tables: Int
    /// Rows restored (the migrations' own bookkeeping not counted: the target keeps its own).
    public var rows: Int64
    /// The master key the file was sealed under.
    public var keyID: String
    /// What `wharf ledger verify` reports on the restored data: balances, usage charges and orders that do not
    /// match their ledger (empty when all do).
    public var ledgerMismatches: [String]
    /// The audit chain as restored, after its anchor beside the database was written for the restored head.
    public var audit: AuditVerification

    /// Whether the ledger and the audit chain check out.
    public var verified: Bool { ledgerMismatches.isEmpty && audit.ok }
}

extension WharfStore {
    /// Rows of one table inserted per statement (fewer for wide tables: at most this many values bound).
    static let restoreBoundValues = 10_000
    /// Tables migrations put rows in: restored rows replace the seeded rows with the same primary key, and rows
    /// already there do not make the database count as holding data.
    static let seededTables: Set<String> = ["config_version"]
    /// The migrations' own table: the target keeps its rows (its schema is this binary's).
    static let migrationsTable = "schema_migrations"

    /// Restores a backup written by ``backup(to:progress:)`` into this database, which must hold no data.
    ///
    /// First the whole file is read and authenticated without touching the database (a tampered or truncated file,
    /// an unknown key or a newer schema is refused here). Then, in one transaction: the target is checked to be
    /// empty (every data-map table but the migrations' bookkeeping), and rows are inserted table by table in file
    /// order, in multi-row statements. Any failure rolls everything back. Afterwards the audit chain is walked and
    /// anchored at its restored head (the anchor beside the database is rewritten for it), a `backup.restore` entry
    /// is appended, and the ledger and audit checks run; their verdict is in the summary.
    public func restore(
        from path: String, progress: @escaping @Sendable (_ table: String, _ rows: Int64) -> Void = { _, _ in }
    ) async throws -> RestoreSummary {
        let secrets = secrets
        let check = try Self.checkBackup(path, secrets: secrets)
        let dialect = database.dialect
        let rows = try await database.transaction(timeoutMillis: nil) { db in
            let schema = try await BackupSchema.read(db, dialect: dialect)
            try await Self.requireEmpty(db)
            let reader = try BackupReader(path: path, secrets: secrets)
            defer { reader.close() }
            return try await Self.load(from: reader, into: db, schema: schema, progress: progress)
        }
        var mismatches = try await verifyLedger().map { "\($0)" }
        mismatches += try await verifyUsageSettlements().map { "\($0)" }
        mismatches += try await verifyOrders()
        let verdict: AuditVerification
        do {
            try await anchorAudit(acceptingDivergence: true)
            try await audit(
                actorID: nil, action: "backup.restore", target: nil,
                detail: "schema=\(check.version) tables=\(check.tables) rows=\(rows) key=\(check.keyID)")
            verdict = try await verifyAudit()
        } catch let broken as AuditChainBroken {
            verdict = AuditVerification(rows: 0, brokenAt: broken.seq, problem: broken.description)
        }
        return RestoreSummary(
            backupSchemaVersion: check.version, backupCreatedAt: check.createdAt, tables: check.tables, rows: rows,
            keyID: check.keyID, ledgerMismatches: mismatches, audit: verdict)
    }

    /// Reads the whole file once: authenticates every chunk, checks the records are in order and their counts
    /// add up, and that this binary knows the backup's schema.
    static func checkBackup(_ path: String, secrets: SecretBox) throws -> (
        version: Int64, createdAt: Int64, tables: Int, keyID: String
    ) {
        let reader = try BackupReader(path: path, secrets: secrets)
        defer { reader.close() }
        guard case .begin(let version, let createdAt) = try reader.next() else {
            throw BackupError.malformed("it does not start with a begin record")
        }
        let known = Int64(Migrations.all.last?.version ?? 0)
        guard version <= known else { throw BackupError.newerSchema(backup: Int(version), known: Int(known)) }
        var tables: Int64 = 0
        var rows: Int64 = 0
        var inTable: (name: String, rows: Int64)?
        while let record = try reader.next() {
            switch record {
            case .begin: throw BackupError.malformed("a second begin record")
            case .table(let name, _):
                guard inTable == nil else { throw BackupError.malformed("table \(name) starts inside another") }
                inTable = (name, 0)
            case .row:
                guard inTable != nil else { throw BackupError.malformed("a row outside a table") }
                inTable?.rows += 1
            case .tableEnd(let count):
                guard let table = inTable, table.rows == count else {
                    throw BackupError.malformed("a table's row count does not match its rows")
                }
                tables += 1
                rows += count
                inTable = nil
            case .end(let t, let r):
                guard inTable == nil, t == tables, r == rows, try reader.next() == nil else {
                    throw BackupError.malformed("the totals at its end do not match its content")
                }
                return (version, createdAt, Int(tables), reader.header.keyID)
            }
        }
        throw BackupError.malformed("it has no end record")
    }

    /// The setting a server writes when it starts on a database without an administrator (the first-run setup
    /// token): not data, so it does not make the target count as used, and it is dropped before restoring.
    static let setupTokenSetting = "setup_token_sha256"

    /// Throws ``BackupError/targetNotEmpty(_:)`` naming the tables that hold rows. Not counted: the migrations'
    /// bookkeeping (``migrationsTable``, ``seededTables``) and the first-run setup token, which is removed.
    static func requireEmpty(_ db: any SQLDatabase) async throws {
        var found: [String: Int64] = [:]
        for table in DataMap.tables where table.name != migrationsTable && !seededTables.contains(table.name) {
            var q = BackupStatement()
            q.text("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ")
            q.identifiers([table.name])
            if table.name == "settings" {
                q.text(" WHERE name <> ")
                q.values([.text(setupTokenSetting)])
            }
            let n = try await BackupQuery(q, on: db).first()?.int64("n") ?? 0
            if n > 0 { found[table.name] = n }
        }
        guard found.isEmpty else { throw BackupError.targetNotEmpty(found) }
        try await db.raw("DELETE FROM settings WHERE name = \(bind: setupTokenSetting)").run()
    }

    /// Inserts the file's rows; returns how many.
    private static func load(
        from reader: BackupReader, into db: any SQLDatabase, schema: BackupSchema,
        progress: @Sendable (String, Int64) -> Void
    ) async throws -> Int64 {
        let declared = Set(DataMap.tables.map(\.name))
        var table: (name: String, columns: [String], skip: Bool)?
        var batch: [[BackupValue]] = []
        var perStatement = 1
        var count: Int64 = 0
        var total: Int64 = 0
        while let record = try reader.next() {
            switch record {
            case .begin, .end:
                continue
            case .table(let name, let columns):
                guard declared.contains(name), let target = schema.tables[name] else {
                    throw BackupError.schema("the backup has a table \(name) that this wharf does not store")
                }
                let known = Set(target.columns.map(\.name))
                if let missing = columns.first(where: { !known.contains($0.name) }) {
                    throw BackupError.schema(
                        "the backup's column \(name).\(missing.name) does not exist in this database's schema")
                }
                table = (name, columns.map(\.name), name == migrationsTable)
                perStatement = max(1, min(backupBatch, restoreBoundValues / max(1, columns.count)))
                count = 0
            case .row(let values):
                guard let current = table else { continue }
                count += 1
                if current.skip { continue }
                batch.append(values)
                if batch.count >= perStatement {
                    try await insert(batch, into: current.name, columns: current.columns, schema: schema, db)
                    batch = []
                }
            case .tableEnd:
                guard let current = table else { continue }
                try await insert(batch, into: current.name, columns: current.columns, schema: schema, db)
                batch = []
                progress(current.name, count)
                if !current.skip { total += count }
                table = nil
            }
        }
        return total
    }

    private static func insert(
        _ rows: [[BackupValue]], into table: String, columns: [String], schema: BackupSchema, _ db: any SQLDatabase
    ) async throws {
        guard !rows.isEmpty else { return }
        if seededTables.contains(table), let key = schema.tables[table]?.primaryKey {
            let indexes = key.compactMap { k in columns.firstIndex(of: k) }
            if indexes.count == key.count {
                for row in rows {
                    var q = BackupStatement()
                    q.text("DELETE FROM ")
                    q.identifiers([table])
                    q.text(" WHERE (")
                    q.identifiers(key)
                    q.text(") = (")
                    q.values(indexes.map { row[$0] })
                    q.text(")")
                    try await BackupQuery(q, on: db).run()
                }
            }
        }
        var q = BackupStatement()
        q.text("INSERT INTO ")
        q.identifiers([table])
        q.text(" (")
        q.identifiers(columns)
        q.text(") VALUES ")
        for (i, row) in rows.enumerated() {
            q.text(i == 0 ? "(" : ", (")
            q.values(row)
            q.text(")")
        }
        try await BackupQuery(q, on: db).run()
    }
}
