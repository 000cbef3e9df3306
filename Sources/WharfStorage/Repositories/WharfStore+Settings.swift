import SQLKit
import WharfCore

extension WharfStore {
    /// A setting's value.
    public func setting(_ name: String) async throws -> String? {
        try await database.withConnection { db in
            try await db.raw("SELECT value FROM settings WHERE name = \(bind: name)").first()?.string("value")
        }
    }

    /// Removes setting `name` only if it holds `value`, in one statement; true when this call removed it. Of several
    /// concurrent calls (on any node), at most one gets true: a one-time value is spent exactly once.
    public func takeSetting(_ name: String, ifValue value: String) async throws -> Bool {
        try await database.withConnection { db in
            try await db.raw(
                "DELETE FROM settings WHERE name = \(bind: name) AND value = \(bind: value) RETURNING name"
            ).first() != nil
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
