/// One typed value of a dumped row.
public enum BackupValue: Sendable, Equatable {
    /// SQL `NULL`.
    case null
    /// An integer column's value.
    case integer(Int64)
    /// A text column's value (UTF-8).
    case text(String)
    /// A binary column's value.
    case blob([UInt8])
}

/// The kind of values a column holds, as its declared SQL type says.
public enum BackupColumnKind: UInt8, Sendable, Equatable {
    /// `INTEGER`, `BIGINT` and the like: 64-bit integers.
    case integer = 1
    /// `TEXT`, `VARCHAR` and the like.
    case text = 2
    /// `BLOB` (SQLite) or `bytea` (PostgreSQL).
    case blob = 3

    /// The kind of a declared type (`BIGINT`, `integer`, `TEXT`, `character varying`, `BLOB`, `bytea`), or nil for
    /// one a backup does not carry.
    public static func of(declaredType: String) -> BackupColumnKind? {
        let t = declaredType.uppercased()
        if t.contains("INT") { return .integer }
        if t.contains("CHAR") || t.contains("TEXT") || t.contains("CLOB") { return .text }
        if t.contains("BLOB") || t == "BYTEA" { return .blob }
        return nil
    }
}

/// A column of a dumped table.
public struct BackupColumn: Sendable, Equatable {
    /// The column's name.
    public var name: String
    /// What its values are.
    public var kind: BackupColumnKind

    /// Creates a column.
    public init(name: String, kind: BackupColumnKind) {
        self.name = name
        self.kind = kind
    }
}

/// The decrypted content of a backup is a sequence of records: `begin`, then per table a `table`, its `row`s and a
/// `tableEnd` with their count, then `end` with the totals.
public enum BackupRecord: Sendable, Equatable {
    /// The schema version of the dumped database and when the dump was taken (Unix milliseconds).
    case begin(schemaVersion: Int64, createdAt: Int64)
    /// The rows that follow belong to `name`, one value per column in this order.
    case table(name: String, columns: [BackupColumn])
    /// One row of the current table.
    case row([BackupValue])
    /// The current table ended after `rows` rows.
    case tableEnd(rows: Int64)
    /// The dump ended after `tables` tables and `rows` rows in all.
    case end(tables: Int64, rows: Int64)
}
