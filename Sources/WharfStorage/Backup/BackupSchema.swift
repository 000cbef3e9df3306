import SQLKit
import WharfCore

/// What a backup needs to know of the live schema: each table's columns (with their kinds), primary key and the
/// tables its foreign keys point at.
struct BackupSchema: Sendable {
    struct Table: Sendable {
        var name: String
        /// In declaration order.
        var columns: [(name: String, declaredType: String)]
        var primaryKey: [String]
        var parents: Set<String>
    }

    var tables: [String: Table]

    /// Reads the schema over `db` (inside the caller's transaction, so it matches the rows read next).
    static func read(_ db: any SQLDatabase, dialect: WharfDatabase.Dialect) async throws -> BackupSchema {
        var tables: [String: Table] = [:]
        switch dialect {
        case .sqlite:
            let names = try await db.raw(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).all().map { try $0.string("name") }
            for name in names {
                var table = Table(name: name, columns: [], primaryKey: [], parents: [])
                var keyed: [(Int64, String)] = []
                for row in try await db.raw("PRAGMA table_info(\(ident: name))").all() {
                    let column = try row.string("name")
                    table.columns.append((column, try row.string("type")))
                    let pk = try row.int64("pk")
                    if pk > 0 { keyed.append((pk, column)) }
                }
                table.primaryKey = keyed.sorted { $0.0 < $1.0 }.map(\.1)
                for row in try await db.raw("PRAGMA foreign_key_list(\(ident: name))").all() {
                    table.parents.insert(try row.string("table"))
                }
                tables[name] = table
            }
        case .postgres:
            let columns = try await db.raw(
                """
                SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c, CAST(data_type AS TEXT) AS type
                FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position
                """
            ).all()
            for row in columns {
                let name = try row.string("t")
                tables[name, default: Table(name: name, columns: [], primaryKey: [], parents: [])].columns.append(
                    (try row.string("c"), try row.string("type")))
            }
            let keys = try await db.raw(
                """
                SELECT CAST(k.table_name AS TEXT) AS t, CAST(k.column_name AS TEXT) AS c
                FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name
                    AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
                WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
                ORDER BY k.table_name, k.ordinal_position
                """
            ).all()
            for row in keys { tables[try row.string("t")]?.primaryKey.append(try row.string("c")) }
            let references = try await db.raw(
                """
                SELECT CAST(tc.table_name AS TEXT) AS child, CAST(u.table_name AS TEXT) AS parent
                FROM information_schema.table_constraints tc
                JOIN information_schema.constraint_column_usage u ON u.constraint_name = tc.constraint_name
                    AND u.table_schema = tc.table_schema
                WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()
                """
            ).all()
            for row in references { tables[try row.string("child")]?.parents.insert(try row.string("parent")) }
        }
        return BackupSchema(tables: tables)
    }

    /// The columns of `table` with their kinds; a column of a type a backup does not carry is an error naming it.
    func columns(of table: String) throws(BackupError) -> [BackupColumn] {
        guard let t = tables[table] else { throw .schema("table \(table) is in the data map but not in the database") }
        return try t.columns.map { column throws(BackupError) in
            guard let kind = BackupColumnKind.of(declaredType: column.declaredType) else {
                throw .schema(
                    "column \(table).\(column.name) has type '\(column.declaredType)', which backups do not carry")
            }
            return BackupColumn(name: column.name, kind: kind)
        }
    }

    /// `names` ordered so that every table comes after the tables its foreign keys point at (otherwise in the given
    /// order), so rows restore without breaking a reference. A cycle keeps the rest in the given order.
    static func insertionOrder(_ names: [String], parents: [String: Set<String>]) -> [String] {
        var placed: Set<String> = []
        var out: [String] = []
        var left = names
        while !left.isEmpty {
            let ready = left.firstIndex { name in
                (parents[name] ?? []).allSatisfy { $0 == name || placed.contains($0) || !names.contains($0) }
            }
            let next = left.remove(at: ready ?? 0)
            placed.insert(next)
            out.append(next)
        }
        return out
    }
}
