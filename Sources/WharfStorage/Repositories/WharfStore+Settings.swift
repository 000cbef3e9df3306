import SQLKit
import WharfCore

extension WharfStore {
    /// A setting's value.
    public func setting(_ name: String) async throws -> String? {
        try await database.withConnection { db in
            try await db.raw("SELECT value FROM settings WHERE name = \(bind: name)").first()?.string("value")
        }
    }

    /// Sets a setting (nil removes it).
    public func setSetting(_ name: String, _ value: String?) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw("DELETE FROM settings WHERE name = \(bind: name)").run()
            if let value {
                try await db.raw(
                    "INSERT INTO settings (name, value, updated_at) VALUES (\(bind: name), \(bind: value), \(bind: at))"
                ).run()
            }
        }
    }
}
