import SQLKit
import SQLiteKit
import Synchronization

/// A multi-row `INSERT` for tables written many rows at a time (usage records, ledger entries). The statement is
/// put together from parts made once per dialect (the `INSERT INTO t (…) VALUES` prefix and numbered
/// placeholders). Building the text with SQLKit's expression tree cost several microseconds per row on the event
/// loop. Values are typed (``Value``). On SQLite they go to the driver as `SQLiteData` directly, NULLs included,
/// skipping SQLKit's per-value `Encodable` conversion. On PostgreSQL nil values are written as `NULL` in the text
/// rather than bound, because optionals bound as values took the driver's slow `Encoder` path.
public final class BatchInsert: Sendable {
    /// One value of a row.
    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        case null

        /// Text, or NULL for nil.
        public static func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }
        /// An integer, or NULL for nil.
        public static func integer(_ value: Int64?) -> Value { value.map(Value.integer) ?? .null }

        var sqlite: SQLiteData {
            switch self {
            case .text(let s): .text(s)
            case .integer(let i): .integer(Int(i))
            case .null: .null
            }
        }

        var encodable: any Encodable & Sendable {
            switch self {
            case .text(let s): s
            case .integer(let i): i
            case .null: String?.none
            }
        }
    }

    let table: String
    let columns: [String]
    private let parts = Mutex<[String: Parts]>([:])
    /// Statement texts already made, by dialect and where the NULLs are: a writer's batches mostly repeat one shape.
    private let texts = Mutex<[TextKey: String]>([:])

    private struct TextKey: Hashable {
        let dialect: String
        /// Per row, a bit for each column whose value is nil.
        let nulls: [UInt64]
    }

    /// What a statement is made of in one dialect.
    private struct Parts {
        var prefix: String
        var placeholders: [String]
    }

    /// An insert into `table` of `columns`, in that order.
    public init(into table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    /// Inserts `rows` (each with one value per column, in column order) as one statement.
    public func run(_ rows: [[Value]], on db: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        if let counting = db as? CountingSQLDatabase, let sqlite = counting.sqlite {
            // SQLite takes NULL as a bound value: one text per number of rows, whatever the values.
            let (sql, binds) = statement(rows, db: db, nullsInText: false)
            counting.counter.increment()
            try await sqlite.query(sql, binds.map(\.sqlite)) { _ in }
        } else {
            let (sql, binds) = statement(rows, db: db)
            try await db.execute(sql: Statement(sql: sql, binds: binds.map(\.encodable))) { _ in }
        }
    }

    /// The text and the values bound to it of the statement inserting `rows`. With `nullsInText` (for drivers that
    /// bind a nil slowly), NULLs are written into the text and not bound; texts are cached by where they fall.
    func statement(_ rows: [[Value]], db: any SQLDatabase, nullsInText: Bool = true) -> (sql: String, binds: [Value]) {
        precondition(columns.count <= 64, "a batch insert takes at most 64 columns")
        var binds: [Value] = []
        binds.reserveCapacity(rows.count * columns.count)
        var nulls: [UInt64] = []
        nulls.reserveCapacity(rows.count)
        for row in rows {
            precondition(row.count == columns.count, "a row of \(table) has \(row.count) values")
            var mask: UInt64 = 0
            for (c, value) in row.enumerated() {
                if nullsInText && value == .null { mask |= 1 << UInt64(c) } else { binds.append(value) }
            }
            nulls.append(mask)
        }
        let key = TextKey(dialect: db.dialect.name, nulls: nulls)
        if let known = texts.withLock({ $0[key] }) { return (known, binds) }
        let parts = self.parts(for: db, binds: binds.count)
        var sql = parts.prefix
        var next = 0
        for (r, mask) in nulls.enumerated() {
            sql += r == 0 ? "(" : ", ("
            for c in 0..<columns.count {
                if c > 0 { sql += ", " }
                if mask & (1 << UInt64(c)) != 0 {
                    sql += "NULL"
                } else {
                    sql += parts.placeholders[next]
                    next += 1
                }
            }
            sql += ")"
        }
        texts.withLock { texts in
            if texts.count >= 256 { texts.removeAll() }
            texts[key] = sql
        }
        return (sql, binds)
    }

    /// The prefix and at least `binds` placeholders for the database's dialect, made by SQLKit once.
    private func parts(for db: any SQLDatabase, binds: Int) -> Parts {
        let dialect = db.dialect.name
        if let known = parts.withLock({ $0[dialect] }), known.placeholders.count >= binds { return known }
        var serializer = SQLSerializer(database: db)
        serializer.write("INSERT INTO ")
        SQLIdentifier(table).serialize(to: &serializer)
        serializer.write(" (")
        SQLList(columns.map { SQLIdentifier($0) }).serialize(to: &serializer)
        serializer.write(") VALUES ")
        let prefix = serializer.sql
        var placeholders: [String] = []
        let count = max(binds, 1024)
        placeholders.reserveCapacity(count)
        for position in 1...count {
            serializer.sql = ""
            db.dialect.bindPlaceholder(at: position).serialize(to: &serializer)
            placeholders.append(serializer.sql)
        }
        let made = Parts(prefix: prefix, placeholders: placeholders)
        parts.withLock { $0[dialect] = made }
        return made
    }

    /// Ready text plus its values; the values take the placeholders in order.
    private struct Statement: SQLExpression {
        let sql: String
        let binds: [any Encodable & Sendable]

        func serialize(to serializer: inout SQLSerializer) {
            precondition(serializer.binds.isEmpty, "a batch insert is a statement of its own")
            serializer.write(sql)
            serializer.binds.append(contentsOf: binds)
        }
    }
}
