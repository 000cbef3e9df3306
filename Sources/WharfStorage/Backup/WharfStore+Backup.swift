import Foundation
import SQLKit
import WharfCore

/// What `wharf backup` wrote.
public struct BackupSummary: Sendable, Equatable {
    /// The schema version of the dumped database.
    public var schemaVersion: Int64
    /// Tables dumped (every table of the data map).
    public var tables: Int
    /// Rows dumped, all tables together.
    public var rows: Int64
    /// The file's size.
    public var bytes: Int
    /// The master key the file is sealed under.
    public var keyID: String
}

extension WharfStore {
    /// Rows read per query while dumping a table (keyset paging on its primary key: bounded memory).
    static let backupBatch = 500

    /// Writes an encrypted, consistent snapshot of every table of the ``DataMap`` to `path` (a new file).
    ///
    /// All tables are read in one read-only transaction on one connection (SQLite: a deferred transaction, a WAL
    /// snapshot that writers in other processes do not wait on; PostgreSQL: `REPEATABLE READ READ ONLY`), in pages of
    /// ``backupBatch`` rows, and streamed through ``BackupWriter``: sealed in chunks under the primary master key as
    /// they are produced, so no plaintext reaches the disk. Tables are written parents first, so a restore inserts
    /// them in file order. `progress` is told each table's row count as it completes.
    public func backup(
        to path: String, progress: @escaping @Sendable (_ table: String, _ rows: Int64) -> Void = { _, _ in }
    ) async throws -> BackupSummary {
        let secrets = secrets
        let dialect = database.dialect
        let createdAt = now
        let summary = try await database.withConnection(timeoutMillis: nil) { db in
            let begin = dialect == .sqlite ? "BEGIN DEFERRED" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
            try await db.raw(SQLQueryString(begin)).run()
            let writer: BackupWriter
            do { writer = try BackupWriter(target: path, secrets: secrets) } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
            do {
                let summary = try await Self.dump(db, dialect: dialect, to: writer, at: createdAt, progress: progress)
                try await db.raw("COMMIT").run()
                try writer.finish()
                return BackupSummary(
                    schemaVersion: summary.version, tables: summary.tables, rows: summary.rows,
                    bytes: writer.bytesWritten, keyID: secrets.primaryKeyID)
            } catch {
                writer.abandon()
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
        try? await audit(
            actorID: nil, action: "backup.create", target: nil,
            detail: "tables=\(summary.tables) rows=\(summary.rows) key=\(summary.keyID)")
        return summary
    }

    /// The schema version recorded by migrations.
    static func schemaVersion(_ db: any SQLDatabase) async throws -> Int64 {
        try await db.raw("SELECT CAST(MAX(version) AS BIGINT) AS v FROM schema_migrations").first()?
            .optionalInt64("v") ?? 0
    }

    private static func dump(
        _ db: any SQLDatabase, dialect: WharfDatabase.Dialect, to writer: BackupWriter, at createdAt: Int64,
        progress: @Sendable (String, Int64) -> Void
    ) async throws -> (version: Int64, tables: Int, rows: Int64) {
        let schema = try await BackupSchema.read(db, dialect: dialect)
        let version = try await schemaVersion(db)
        try writer.append(.begin(schemaVersion: version, createdAt: createdAt))
        let names = BackupSchema.insertionOrder(
            DataMap.tables.map(\.name), parents: schema.tables.mapValues(\.parents))
        var total: Int64 = 0
        for name in names {
            let columns = try schema.columns(of: name)
            let key = schema.tables[name]?.primaryKey ?? []
            let keyIndexes = key.compactMap { k in columns.firstIndex { $0.name == k } }
            guard !key.isEmpty, keyIndexes.count == key.count else {
                throw BackupError.schema("table \(name) has no primary key, so it cannot be read in pages")
            }
            try writer.append(.table(name: name, columns: columns))
            var count: Int64 = 0
            var last: [BackupValue]?
            while true {
                var q = BackupStatement()
                q.text("SELECT ")
                q.identifiers(columns.map(\.name))
                q.text(" FROM ")
                q.identifiers([name])
                if let last {
                    q.text(" WHERE (")
                    q.identifiers(key)
                    q.text(") > (")
                    q.values(last)
                    q.text(")")
                }
                q.text(" ORDER BY ")
                q.identifiers(key)
                q.text(" LIMIT \(backupBatch)")
                let rows = try await BackupQuery(q, on: db).all()
                for row in rows {
                    let values = try columns.map { try value(row, $0, table: name) }
                    try writer.append(.row(values))
                    last = keyIndexes.map { values[$0] }
                }
                count += Int64(rows.count)
                if rows.count < backupBatch { break }
            }
            try writer.append(.tableEnd(rows: count))
            progress(name, count)
            total += count
        }
        try writer.append(.end(tables: Int64(names.count), rows: total))
        return (version, names.count, total)
    }

    private static func value(_ row: any SQLRow, _ column: BackupColumn, table: String) throws -> BackupValue {
        do {
            if try row.decodeNil(column: column.name) { return .null }
            switch column.kind {
            case .integer: return .integer(try row.decode(column: column.name, as: Int64.self))
            case .text: return .text(try row.decode(column: column.name, as: String.self))
            case .blob: return .blob(Array(try row.decode(column: column.name, as: Data.self)))
            }
        } catch {
            throw BackupError.schema("cannot read \(table).\(column.name) as \(column.kind): \(error)")
        }
    }
}
