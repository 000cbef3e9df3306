import SQLKit
import WharfCore

extension WharfDatabase {
    /// Applies every migration not yet applied, each in its own transaction; returns the versions applied.
    @discardableResult
    public func migrate(nowMillis: Int64) async throws -> [Int] {
        try await withConnection(timeoutMillis: nil) { db in
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            ).run()
        }
        var applied: [Int] = []
        for migration in Migrations.all {
            let done = try await transaction(timeoutMillis: nil) { db in
                let rows = try await db.raw(
                    "SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)"
                ).all()
                guard rows.isEmpty else { return false }
                for statement in migration.statements { try await db.raw(SQLQueryString(statement)).run() }
                try await db.raw(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: nowMillis))"
                ).run()
                return true
            }
            if done { applied.append(migration.version) }
        }
        return applied
    }

    /// Whether every known migration has been applied.
    public func isMigrated() async throws -> Bool {
        let latest = Migrations.all.last?.version ?? 0
        return try await withConnection { db in
            let rows = try await db.raw("SELECT MAX(version) AS v FROM schema_migrations").all()
            let v =
                try rows.first?.decodeNil(column: "v") == false
                ? try rows.first?.decode(column: "v", as: Int.self) : nil
            return (v ?? 0) >= latest
        }
    }

    /// The columns of every table in the live schema (for the data-map check).
    public func liveColumns() async throws -> [String: Set<String>] {
        try await withConnection { db in
            var result: [String: Set<String>] = [:]
            switch self.dialect {
            case .sqlite:
                let tables = try await db.raw(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                ).all().map { try $0.decode(column: "name", as: String.self) }
                for table in tables {
                    let columns = try await db.raw("PRAGMA table_info(\(unsafeRaw: table))").all()
                    result[table] = Set(try columns.map { try $0.decode(column: "name", as: String.self) })
                }
            case .postgres:
                let rows = try await db.raw(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                ).all()
                for row in rows {
                    let table = try row.decode(column: "table_name", as: String.self)
                    result[table, default: []].insert(try row.decode(column: "column_name", as: String.self))
                }
            }
            return result
        }
    }
}
