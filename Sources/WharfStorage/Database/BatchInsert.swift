import SQLKit
import Synchronization

/// A multi-row `INSERT` for tables written many rows at a time (usage records, ledger entries): the SQL text is
/// built by SQLKit once per dialect and row count and then reused, so a batch costs only its values. Building the
/// text per batch cost several microseconds per row on the event loop.
public final class BatchInsert: Sendable {
    let table: String
    let columns: [String]
    private let texts = Mutex<[TextKey: String]>([:])

    private struct TextKey: Hashable {
        let dialect: String
        let rows: Int
    }

    /// An insert into `table` of `columns`, in that order.
    public init(into table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    /// Inserts `rows` (each with one value per column, in column order) as one statement.
    public func run(_ rows: [[any Encodable & Sendable]], on db: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        var binds: [any Encodable & Sendable] = []
        binds.reserveCapacity(rows.count * columns.count)
        for row in rows {
            precondition(row.count == columns.count, "a row of \(table) has \(row.count) values")
            binds.append(contentsOf: row)
        }
        try await db.execute(sql: Statement(sql: text(rows: rows.count, db: db), binds: binds)) { _ in }
    }

    /// The statement text for `rows` rows, exactly as SQLKit writes it for the database's dialect.
    func text(rows: Int, db: any SQLDatabase) -> String {
        let key = TextKey(dialect: db.dialect.name, rows: rows)
        if let known = texts.withLock({ $0[key] }) { return known }
        var insert = SQLInsert(table: SQLIdentifier(table))
        insert.columns = columns.map { SQLIdentifier($0) }
        insert.values = Array(
            repeating: Array(repeating: SQLBind(0) as any SQLExpression, count: columns.count), count: rows)
        var serializer = SQLSerializer(database: db)
        insert.serialize(to: &serializer)
        let text = serializer.sql
        texts.withLock { $0[key] = text }
        return text
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
