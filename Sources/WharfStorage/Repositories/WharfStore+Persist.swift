import SQLKit
import WharfCore

/// One stored key-value entry (the storage under the server's `PersistDriver`).
public struct PersistEntry: Sendable, Equatable {
    public var key: String
    /// JSON text.
    public var value: String
    /// The account the entry belongs to, when it belongs to one (so an account's entries can be listed or ended).
    public var owner: String?
    /// When the entry stops existing (Unix ms); nil: never.
    public var expiresAt: Int64?

    /// Creates an entry.
    public init(key: String, value: String, owner: String?, expiresAt: Int64?) {
        self.key = key
        self.value = value
        self.owner = owner
        self.expiresAt = expiresAt
    }
}

extension WharfStore {
    /// Stores a new entry; throws ``StoreError/duplicate(_:)`` when a live entry has the key (an expired one is
    /// replaced). Expired entries of every key are swept first, so the table holds only live state.
    public func persistCreate(_ entry: PersistEntry) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw("DELETE FROM persist WHERE expires_at IS NOT NULL AND expires_at <= \(bind: at)").run()
            guard try await db.raw("SELECT key FROM persist WHERE key = \(bind: entry.key)").first() == nil else {
                throw StoreError.duplicate("an entry with this key")
            }
            try await db.raw(
                """
                INSERT INTO persist (key, value, owner, expires_at)
                VALUES (\(bind: entry.key), \(bind: entry.value), \(bind: entry.owner), \(bind: entry.expiresAt))
                """
            ).run()
        }
    }

    /// Stores or replaces an entry. With `keepExpiry`, a live entry keeps its expiry time (an expired one counts as
    /// absent).
    public func persistSet(_ entry: PersistEntry, keepExpiry: Bool) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw(
                """
                DELETE FROM persist WHERE key = \(bind: entry.key) AND expires_at IS NOT NULL AND expires_at <= \(bind: at)
                """
            ).run()
            let existing = try await db.raw("SELECT expires_at FROM persist WHERE key = \(bind: entry.key)").first()
            if let existing {
                let expiry = keepExpiry ? try existing.optionalInt64("expires_at") : entry.expiresAt
                try await db.raw(
                    """
                    UPDATE persist SET value = \(bind: entry.value), owner = \(bind: entry.owner),
                        expires_at = \(bind: expiry)
                    WHERE key = \(bind: entry.key)
                    """
                ).run()
            } else {
                try await db.raw(
                    """
                    INSERT INTO persist (key, value, owner, expires_at)
                    VALUES (\(bind: entry.key), \(bind: entry.value), \(bind: entry.owner), \(bind: entry.expiresAt))
                    """
                ).run()
            }
        }
    }

    /// Replaces the value and expiry of the live entry with `key`, and only of a live one: an entry deleted (a
    /// session ended) or expired since it was read stays gone. One `UPDATE`, so no read-then-write window exists on
    /// one node or across nodes sharing the database. Returns whether an entry was updated.
    public func persistRefresh(_ entry: PersistEntry) async throws -> Bool {
        let at = now
        return try await database.withConnection { db in
            try await !db.raw(
                """
                UPDATE persist SET value = \(bind: entry.value), expires_at = \(bind: entry.expiresAt)
                WHERE key = \(bind: entry.key) AND (expires_at IS NULL OR expires_at > \(bind: at))
                RETURNING key
                """
            ).all().isEmpty
        }
    }

    /// The live entry with `key`, if any.
    public func persistGet(_ key: String) async throws -> PersistEntry? {
        let at = now
        return try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM persist WHERE key = \(bind: key) AND (expires_at IS NULL OR expires_at > \(bind: at))
                """
            ).first().map(Self.decodePersist)
        }
    }

    /// Removes the entry with `key`; returns whether there was one.
    @discardableResult
    public func persistRemove(_ key: String) async throws -> Bool {
        try await database.withConnection { db in
            try await !db.raw("DELETE FROM persist WHERE key = \(bind: key) RETURNING key").all().isEmpty
        }
    }

    /// The live entries of `owner` whose keys start with `prefix`.
    public func persistEntries(owner: String, prefix: String) async throws -> [PersistEntry] {
        let at = now
        let pattern = Self.likeEscaped(prefix) + "%"
        return try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM persist WHERE owner = \(bind: owner) AND key LIKE \(bind: pattern) ESCAPE '\\'
                    AND (expires_at IS NULL OR expires_at > \(bind: at))
                """
            ).all().map(Self.decodePersist)
        }
    }

    /// Removes every entry of `owner` whose key starts with `prefix`, except `keeping`.
    public func persistRemove(owner: String, prefix: String, keeping: String? = nil) async throws {
        let pattern = Self.likeEscaped(prefix) + "%"
        try await database.withConnection { db in
            try await db.raw(
                """
                DELETE FROM persist WHERE owner = \(bind: owner) AND key LIKE \(bind: pattern) ESCAPE '\\'
                    AND key <> \(bind: keeping ?? "")
                """
            ).run()
        }
    }

    static func decodePersist(_ row: any SQLRow) throws -> PersistEntry {
        PersistEntry(
            key: try row.string("key"), value: try row.string("value"), owner: try row.optionalString("owner"),
            expiresAt: try row.optionalInt64("expires_at"))
    }
}
